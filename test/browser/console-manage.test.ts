// The Callback Profiles page in a real browser against the running daemon: search by
// title, edit (back to the file it came from, `${env:…}` kept), enable/disable, and
// delete after confirmation. Screenshots: test/artifacts/console-manage-*.png.
import t from 'tap'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startConsoleStack } from '../helpers/console-stack'
import { withToast } from '../helpers/console-browser'

const TOKEN = 'manage-flow-token-77a1-5e6f7a8b'

// Each step waits on a condition; the file's deadline is far for a loaded machine.
t.setTimeout(600_000)

t.test('search, edit, disable and delete profiles from the list', async (t) => {
  process.env.CONSOLE_MANAGE_KEY = 'manage-secret'
  const { fx, endpoint, daemon, session } = await startConsoleStack(
    t,
    'console-manage',
    (url) => [{ id: 'beta-email', title: 'Beta email reports', account: '<b>beta</b>', channel: 'email', method: 'POST', endpoint: `${url}/email?x=<img src=x>` }],
    TOKEN,
  )
  const { page, shot } = session
  // A profile whose file name is not its id.
  await writeFile(
    join(fx.profilesDir, 'legacy-whatsapp.json'),
    JSON.stringify({ id: 'acme-wa', title: 'ACME WhatsApp status', account: 'acme', channel: 'whatsapp', events: ['message_status'], method: 'GET', endpoint: `${endpoint.url}/wa?id=<id>`, headers: { 'X-Api-Key': '${env:CONSOLE_MANAGE_KEY}' } }, null, 2),
  )
  await daemon.reload()
  await page.reload()
  await page.waitForSelector('tr[data-profile-id="acme-wa"]')
  t.equal(await page.locator('#profiles-table tbody tr').count(), 2)
  // What a profile holds is shown as text, never as markup.
  t.match(await page.textContent('tr[data-profile-id="beta-email"]'), /<b>beta<\/b>.*<img src=x>/s)
  t.equal(await page.locator('#profiles-table b, #profiles-table img').count(), 0)

  // Search by title.
  await page.fill('#search', 'whatsapp')
  await page.waitForSelector('tr[data-profile-id="beta-email"]', { state: 'detached' })
  t.equal(await page.locator('#profiles-table tbody tr').count(), 1)
  t.ok(await page.isVisible('tr[data-profile-id="acme-wa"]'))
  await shot('search')
  await page.fill('#search', 'no such title')
  await page.waitForSelector('text=No profile title matches')
  await page.fill('#search', '')
  await page.waitForSelector('tr[data-profile-id="beta-email"]')

  // Edit: the form shows the raw file; Save writes it back to the same file.
  await page.click('tr[data-profile-id="acme-wa"] [data-action=edit]')
  await page.waitForSelector('#step-1')
  t.equal(await page.inputValue('#title'), 'ACME WhatsApp status')
  t.ok(await page.isDisabled('#channel'), 'a profile is locked to its channel')
  t.equal(await page.getAttribute('#profile-id', 'readonly'), '')
  t.ok(await page.isChecked('#events input[value="message_status"]'))
  await page.fill('#title', 'ACME WhatsApp status v2')
  await page.check('#events input[value="incoming_message"]')
  await page.click('#next')
  t.equal(await page.inputValue('#headers .kv-row:nth-child(1) .header-value'), '${env:CONSOLE_MANAGE_KEY}', 'the secret is shown as written, never expanded')
  await shot('edit-step-2')
  await withToast(page, '.ok >> text=Callback profile saved', () => page.click('#save'))
  await page.waitForSelector('tr[data-profile-id="acme-wa"] >> text=ACME WhatsApp status v2')
  t.same((await readdir(fx.profilesDir)).filter((f) => f.endsWith('.json')).sort(), ['beta-email.json', 'legacy-whatsapp.json'])
  const edited = JSON.parse(await readFile(join(fx.profilesDir, 'legacy-whatsapp.json'), 'utf8'))
  t.match(edited, { id: 'acme-wa', title: 'ACME WhatsApp status v2', events: ['message_status', 'incoming_message'], headers: { 'X-Api-Key': '${env:CONSOLE_MANAGE_KEY}' } })
  t.notOk('body' in edited, 'GET keeps no body')
  t.notOk('format' in edited, 'no format added to a GET profile that had none')
  t.equal(daemon.config().profiles.find((p) => p.profile.id === 'acme-wa')?.profile.title, 'ACME WhatsApp status v2', 'the daemon reloaded it')

  // Disable from the list.
  await withToast(page, '.ok >> text=Callback profile disabled', () => page.click('tr[data-profile-id="beta-email"] [data-action=toggle]'))
  t.equal(JSON.parse(await readFile(join(fx.profilesDir, 'beta-email.json'), 'utf8')).enabled, false)
  t.equal(daemon.config().profiles.find((p) => p.profile.id === 'beta-email')?.profile.enabled, false)
  await shot('disabled')

  // Delete: Cancel keeps it, Delete removes the file.
  await page.click('tr[data-profile-id="beta-email"] [data-action=delete]')
  await page.waitForSelector('.modal >> text=Delete callback profile?')
  await shot('delete-confirm')
  await page.click('#modal-cancel')
  t.ok(await page.isVisible('tr[data-profile-id="beta-email"]'))
  t.ok((await readdir(fx.profilesDir)).includes('beta-email.json'))
  await page.click('tr[data-profile-id="beta-email"] [data-action=delete]')
  await withToast(page, '.ok >> text=Callback profile deleted', () => page.click('#modal-confirm'))
  await page.waitForSelector('tr[data-profile-id="beta-email"]', { state: 'detached' })
  t.notOk((await readdir(fx.profilesDir)).includes('beta-email.json'))
  t.equal(daemon.config().profiles.find((p) => p.profile.id === 'beta-email'), undefined)
})
