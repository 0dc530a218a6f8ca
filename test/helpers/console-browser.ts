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
  // Playwright's 30 s default is a guess about the machine's speed; on a loaded one a step
  // may take longer, and every wait here is on a condition, so the deadline can be far.
  context.setDefaultTimeout(90_000)
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

/**
 * Polls `check` until it holds, pausing `pauseMs` between looks, failing after `timeoutMs`.
 * For what the page cannot announce (a dead letter written after the failed attempt, the
 * attempt log flushed in batches): the deadline is generous, the pause only spares the
 * machine, and nothing assumes how fast it is.
 */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 90_000, pauseMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not so within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, pauseMs))
  }
}

/**
 * Runs `action` with the wait for its toast already in place, so a toast that comes and
 * goes (it hides after 8 s) while this process is descheduled is not missed.
 */
export async function withToast(page: Page, selector: string, action: () => Promise<unknown>): Promise<void> {
  await Promise.all([page.waitForSelector(`#toast.show${selector}`, { timeout: 90_000 }), action()])
}

/** Clicks and waits until the page has the API's answer to `apiPath` (path and query, as a prefix) in hand. */
export async function clickForApi(page: Page, selector: string, apiPath: string): Promise<void> {
  const answers = (r: { url(): string }) => {
    const u = new URL(r.url())
    return (u.pathname + u.search).startsWith(`/console/api${apiPath}`)
  }
  await Promise.all([page.waitForResponse(answers, { timeout: 90_000 }), page.click(selector)])
}
