// Consoles on two daemons sharing the KV profile store, in a real browser: two operators
// open the same profile, the first saves, the second's save is refused (409) and the form
// says so plainly; after reloading it saves. Then endpoint health: the list's State column,
// Pause through one daemon's console seen by the other's, Resume there.
// Screenshots: test/artifacts/console-kv-health-*.png.
import t from 'tap'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { profile } from '../helpers/daemon-fixture'
import { startDaemonConsoles } from '../helpers/console-daemons'
import { ARTIFACTS, buildConsoleAssets, openBrowser, signIn, until, withToast } from '../helpers/console-browser'

const TOKEN = 'kv-health-browser-token-5c1d9e0f'

// Each step waits on a condition; the file's deadline is far for a loaded machine.
t.setTimeout(600_000)

async function openEdit(page: Page, base: string, id: string): Promise<void> {
  await page.goto(`${base}/console/#/profiles/${id}/edit`)
  await page.waitForSelector('#step-1')
}

async function saveTitle(page: Page, title: string): Promise<void> {
  await page.fill('#title', title)
  await page.click('#next')
  await page.click('#save')
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `console-kv-health-${name}.png`), fullPage: true })
const stateOf = (page: Page, id: string) => page.getAttribute(`tr[data-profile-id="${id}"] .state-name`, 'data-state')

t.test('two consoles on two daemons: the second save of one profile gets 409 and the form says so; Pause and Resume act for both', async (t) => {
  const assets = buildConsoleAssets()
  t.teardown(() => assets.remove())
  process.env.KV_BROWSER_KEY = 'kv-browser-secret'
  const seeded = profile('kv-shared', 'https://hooks.example/shared', { title: 'Shared profile', headers: { 'X-Api-Key': '${env:KV_BROWSER_KEY}' } })
  const { kv, consoles } = await startDaemonConsoles(t, { token: TOKEN, daemons: 2, profiles: [seeded], assetsDir: assets.dir })
  const [a, b] = consoles
  const session = await openBrowser(a.base, 'console-kv-health')
  t.teardown(() => session.close())
  const pageA = session.page
  await signIn(pageA, a.base, TOKEN)
  const contextB = await session.browser.newContext({ viewport: { width: 1400, height: 1000 } })
  contextB.setDefaultTimeout(90_000)
  t.teardown(() => contextB.close())
  const pageB = await contextB.newPage()
  await signIn(pageB, b.base, TOKEN)

  // Both open the same profile at the same revision.
  await openEdit(pageA, a.base, 'kv-shared')
  await openEdit(pageB, b.base, 'kv-shared')
  await withToast(pageA, '.ok >> text=Callback profile saved', () => saveTitle(pageA, 'Saved through daemon A'))
  const saved = (await kv.get('kv-shared'))!
  await withToast(pageB, '.error >> text=The profile was not saved', () => saveTitle(pageB, 'Saved through daemon B'))
  const stale = await pageB.textContent('#stale')
  t.match(stale, `someone else changed profile "kv-shared" since you opened it: the store is at revision ${saved.revision}`, 'the form says plainly that someone else saved it, at which revision')
  t.match(stale, /reload/i, 'and to reload')
  t.ok(await pageB.isVisible('#stale'))
  await shot(pageB, '1-stale-save-on-b')
  t.equal((await kv.get('kv-shared'))!.revision, saved.revision, 'the stale save wrote nothing')
  t.match(JSON.parse(saved.string()), { title: 'Saved through daemon A', headers: { 'X-Api-Key': '${env:KV_BROWSER_KEY}' } }, 'the first save is kept, its secret as written')

  // Reloading shows the other's change; saving on top of it works.
  await Promise.all([pageB.waitForEvent('load'), pageB.click('#stale-reload')])
  await pageB.waitForSelector('#step-1')
  t.equal(await pageB.inputValue('#title'), 'Saved through daemon A', "after reload the form shows the other operator's change")
  await withToast(pageB, '.ok >> text=Callback profile saved', () => saveTitle(pageB, 'Saved through daemon B'))
  t.match(JSON.parse((await kv.get('kv-shared'))!.string()), { title: 'Saved through daemon B' })

  // Endpoint health: State column, Pause on A, seen on B, Resume on B.
  await pageA.goto(`${a.base}/console/#/profiles`)
  await pageA.reload()
  await pageA.waitForSelector('tr[data-profile-id="kv-shared"] .state-name')
  t.equal(await stateOf(pageA, 'kv-shared'), 'closed')
  await withToast(pageA, '.ok >> text=Callback profile paused', () => pageA.click('tr[data-profile-id="kv-shared"] [data-action=pause]'))
  await pageA.waitForSelector('tr[data-profile-id="kv-shared"] [data-state=paused]')
  t.match(await pageA.textContent('tr[data-profile-id="kv-shared"] td.state'), /paused.*by an operator/s, 'the state and its reason')
  t.equal(a.daemon.health.state('kv-shared').state, 'paused')
  await shot(pageA, '2-paused-on-a')
  await until('daemon B sees the pause', async () => b.daemon.health.state('kv-shared').state === 'paused')
  await pageB.reload()
  await pageB.waitForSelector('tr[data-profile-id="kv-shared"] [data-state=paused]')
  t.equal(await pageB.locator('tr[data-profile-id="kv-shared"] [data-action=pause]').count(), 0, 'a paused profile offers Resume, not Pause')
  await withToast(pageB, '.ok >> text=Callback profile resumed', () => pageB.click('tr[data-profile-id="kv-shared"] [data-action=resume]'))
  await pageB.waitForSelector('tr[data-profile-id="kv-shared"] [data-state=closed]')
  await shot(pageB, '3-resumed-on-b')
  await until('daemon A sees the resume', async () => a.daemon.health.state('kv-shared').state === 'closed')
})
