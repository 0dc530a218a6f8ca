// The reference page, step by step, in a real browser against the running daemon:
// sign in → Callback Profiles → Add New Profile → step 1 (title rule, channel, events,
// method, endpoint, the Dynamic Variables pane with Select All and Copy to Clipboard,
// request body, retry) → Test (a real callback, "Callback profile tested") → Next →
// step 2 (data format, headers, encryption) → Save (errors beside their fields, then
// the confirmation) → listed → the daemon delivers a published event with it.
// Screenshots of each step: test/artifacts/console-flow-*.png.
import t from 'tap'
import { createDecipheriv } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createFixture } from './helpers/daemon-fixture'
import { startEndpoint } from './helpers/endpoint'
import { buildConsoleAssets, openBrowser, signIn, withToast } from './helpers/console-browser'
import { startStatusServer } from '../core/daemon/status-server'
import { mountConsole } from '../core/console/mount'

const TOKEN = 'browser-flow-token-5f1c0a9e'
const API_KEY = 'key-from-the-environment'
const AES_KEY = 'k'.repeat(16) + 'K'.repeat(16)

// Each step waits on a condition; the file's deadline is far for a loaded machine.
t.setTimeout(600_000)

t.test('an operator creates a profile in the console and the daemon delivers with it', async (t) => {
  process.env.CONSOLE_FLOW_API_KEY = API_KEY
  process.env.CALLBACK_ROUTER_CONSOLE_TOKEN = TOKEN
  const assets = buildConsoleAssets()
  t.teardown(() => assets.remove())
  const endpoint = await startEndpoint()
  t.teardown(() => endpoint.close())
  const fx = await createFixture({
    settings: { console: { enabled: true } },
    profiles: [
      {
        id: 'acme-wa-status',
        title: 'ACME WhatsApp status',
        account: 'acme',
        channel: 'whatsapp',
        events: ['message_status'],
        method: 'GET',
        endpoint: `${endpoint.url}/wa?id=<id>&status=<status>`,
      },
    ],
  })
  t.teardown(() => fx.close())
  const daemon = await fx.start()
  const status = await startStatusServer(daemon, { host: '127.0.0.1', port: 0 })
  t.teardown(() => status.close())
  const console_ = mountConsole(status, daemon, { assetsDir: assets.dir })
  t.teardown(() => console_.close())
  const base = status.url

  const s = await openBrowser(base, 'console-flow')
  t.teardown(() => s.close())
  const { page } = s

  // Sign in, then the Callback Profiles page.
  await page.goto(`${base}/console/`)
  await page.waitForURL('**/console/login')
  await s.shot('sign-in')
  await signIn(page, base, TOKEN)
  await page.waitForSelector('tr[data-profile-id="acme-wa-status"]')
  t.match(await page.textContent('tr[data-profile-id="acme-wa-status"]'), /ACME WhatsApp status.*whatsapp.*message_status.*GET/s)
  await s.shot('profiles')

  // Add New Profile: step 1.
  await page.click('#add-profile')
  await page.waitForSelector('#step-1')
  t.equal(await page.inputValue('#channel'), 'default', 'Default is preselected')
  t.ok(await page.$eval('#events', (e) => (e as unknown as { disabled: boolean }).disabled), 'events stay disabled for Default')
  await page.fill('#account', 'acme')
  await page.fill('#title', 'Browser SMS reports!')
  t.match(await page.getAttribute('#title-rule', 'class'), /bad/)
  t.match(await page.textContent('#title-rule'), /Not allowed: "!"/)
  await s.shot('title-rule')
  await page.fill('#title', 'Browser SMS reports')
  t.match(await page.getAttribute('#title-rule', 'class'), /ok/)
  t.equal(await page.inputValue('#profile-id'), 'browser-sms-reports')

  await page.selectOption('#channel', 'sms')
  t.notOk(await page.$eval('#events', (e) => (e as unknown as { disabled: boolean }).disabled), 'events enabled once a channel is chosen')
  t.ok(await page.isChecked('#events input[value="sms-send"]'), 'the only SMS event is chosen for you')
  t.same(await page.$$eval('#method optgroup', (gs) => gs.map((g) => g.getAttribute('label'))), ['Suggested', 'Other'])
  await page.selectOption('#method', 'POST')
  await page.fill('#endpoint', `${endpoint.url}/hooks/sms?ref=<ref>`)

  // The Dynamic Variables pane.
  await page.click('#view-variables')
  await page.waitForSelector('#variables-pane:not(.hidden) input[name=variable]')
  await page.click('#select-all')
  const boxes = await page.$$eval('#variables-pane input[name=variable]', (els) => els.map((e) => (e as unknown as { checked: boolean }).checked))
  t.ok(boxes.length > 5 && boxes.every(Boolean), 'Select All checks every variable')
  await withToast(page, ' >> text=to the clipboard', () => page.click('#copy-variables'))
  const copied = (await page.evaluate('navigator.clipboard.readText()')) as string
  const snippet = JSON.parse(copied) as Record<string, unknown>
  t.equal(snippet.status, '<status>', 'a JSON body snippet for POST')
  t.match(snippet._event, { id: '<_event.id>' })
  await s.shot('variables-pane')
  await page.click('#close-variables')
  t.ok(await page.isHidden('#variables-pane'))
  // Paste into the Request Body, then keep what this receiver needs.
  await page.fill('#body', JSON.stringify({ id: '<id>', to: '<to>', status: '<status>', event: '<_event.id>' }, null, 2))

  await page.selectOption('#retry', '1')
  t.equal(await page.getAttribute('#interval', 'required'), '', 'interval required when retries > 0')
  t.equal(await page.inputValue('#interval'), '10', 'prefilled with the channel interval')
  await page.fill('#interval', '1')
  await page.fill('#timeout', '')
  await page.click('#next')
  t.match(await page.textContent('.field-error[data-for="timeout"]'), /Required when retries/)
  t.ok(await page.isVisible('#step-1'), 'Next stays on step 1 until it is complete')
  // Ten seconds for one local request: the Test (which has no retry) must not time out on a loaded machine.
  await page.fill('#timeout', '10000')

  // Test: a real callback with the current settings.
  await withToast(page, '.ok >> text=Callback profile tested', () => page.click('#test'))
  const [tested] = await endpoint.waitFor(1)
  t.equal(tested.pathname, '/hooks/sms')
  t.match(JSON.parse(tested.body.toString()), { id: String, status: String })
  await s.shot('tested')

  // Step 2: Advanced Configuration.
  await page.click('#next')
  await page.waitForSelector('#step-2:not(.hidden)')
  t.same(await page.$$eval('#format option', (os) => os.map((o) => o.textContent)), ['JSON', 'URL Encoded', 'Form Data'])
  await page.selectOption('#format', 'json')
  await page.fill('#headers .kv-row:nth-child(1) .header-name', 'X-Api-Key')
  await page.fill('#headers .kv-row:nth-child(1) .header-value', '${env:CONSOLE_FLOW_API_KEY}')
  await page.click('#add-header')
  await page.fill('#headers .kv-row:nth-child(2) .header-name', 'X-Source')
  await page.fill('#headers .kv-row:nth-child(2) .header-value', 'console')
  t.ok(await page.isHidden('#encryption-fields'))
  await page.click('#encryption-toggle')
  t.ok(await page.isVisible('#encryption-fields'), 'the toggle reveals Algorithm, Key, IV and Parameters')
  await page.selectOption('#enc-algorithm', 'aes-256-gcm')
  await page.fill('#enc-key', 'too-short')
  await page.fill('#enc-iv', 'random')
  await page.fill('#enc-parameters', 'to')
  await s.shot('advanced')

  // Save with a wrong key: the error sits beside the Key field, nothing is written.
  await page.click('#save')
  await page.waitForSelector('.field-error[data-for="enc-key"] .error')
  t.match(await page.textContent('.field-error[data-for="enc-key"]'), /32-byte key/)
  t.ok(await page.isVisible('#step-2'))
  await s.shot('save-error')
  await page.fill('#enc-key', AES_KEY)
  await withToast(page, '.ok >> text=Callback profile saved', () => page.click('#save'))
  await page.waitForSelector('tr[data-profile-id="browser-sms-reports"]')
  t.match(await page.textContent('tr[data-profile-id="browser-sms-reports"]'), /Browser SMS reports.*sms.*sms-send.*POST/s)
  await s.shot('saved')

  // The file: <id>.json, `${env:…}` kept as text.
  const written = JSON.parse(await readFile(join(fx.profilesDir, 'browser-sms-reports.json'), 'utf8'))
  t.match(written, {
    id: 'browser-sms-reports',
    account: 'acme',
    channel: 'sms',
    events: ['sms-send'],
    method: 'POST',
    format: 'json',
    headers: { 'X-Api-Key': '${env:CONSOLE_FLOW_API_KEY}', 'X-Source': 'console' },
    retry: { count: 1, intervalSeconds: 1, timeoutMs: 10000 },
    encryption: { algorithm: 'aes-256-gcm', key: AES_KEY, iv: 'random', parameters: ['to'] },
  })

  // The daemon uses it at once.
  await fx.publish('sms', 'sms-send', { id: 'evt_console_flow_1', account: 'acme', data: { id: 'msg-1', to: '+15550001111', status: 'Delivered', from: 'ACME' } })
  const [, delivered] = await endpoint.waitFor(2, 90_000)
  t.equal(delivered.pathname, '/hooks/sms')
  t.equal(delivered.headers['x-api-key'], API_KEY)
  t.equal(delivered.headers['x-source'], 'console')
  t.equal(delivered.headers['webhook-id'], 'evt_console_flow_1:browser-sms-reports')
  const body = JSON.parse(delivered.body.toString()) as { id: string; to: string; status: string; event: string }
  t.match(body, { id: 'msg-1', status: 'Delivered', event: 'evt_console_flow_1' })
  const raw = Buffer.from(body.to, 'base64')
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(AES_KEY), raw.subarray(0, 12))
  decipher.setAuthTag(raw.subarray(raw.length - 16))
  t.equal(Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString(), '+15550001111', 'the "to" parameter arrives encrypted')
})
