// What the console's browser tests share: the front end built into a temporary folder
// (so one test file runs without `npm run build`), Debian's chromium through
// playwright-core, screenshots under test/artifacts/, and the sign-in step.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

const ROOT = join(__dirname, '..', '..')
export const ARTIFACTS = join(ROOT, 'test', 'artifacts')
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Bundles console/ (type-checking is the build's job) into a fresh folder. */
export function buildConsoleAssets(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'console-assets-'))
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-console.mjs'), '--no-check', '--out', dir], { stdio: 'inherit' })
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface BrowserSession {
  browser: Browser
  context: BrowserContext
  page: Page
  /** Saves test/artifacts/<prefix>-<name>.png. */
  shot(name: string): Promise<void>
  close(): Promise<void>
}

export async function openBrowser(origin: string, prefix: string): Promise<BrowserSession> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'] })
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin })
  const page = await context.newPage()
  mkdirSync(ARTIFACTS, { recursive: true })
  let n = 0
  return {
    browser,
    context,
    page,
    async shot(name) {
      n++
      await page.screenshot({ path: join(ARTIFACTS, `${prefix}-${String(n).padStart(2, '0')}-${name}.png`), fullPage: true })
    },
    async close() {
      await context.close().catch(() => undefined)
      await browser.close()
    },
  }
}

/** Opens /console, lands on the sign-in page, signs in, and waits for the profile list. */
export async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/console/`)
  await page.waitForURL('**/console/login')
  await page.fill('#token', token)
  await Promise.all([page.waitForURL('**/console/'), page.click('button[type=submit]')])
  await page.waitForSelector('#profiles-body')
}
