import t from 'tap'
import { execFile } from 'node:child_process'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Webhook } from 'standardwebhooks'
import { PluginRegistry } from '../core/plugin/registry'
import { sampleData } from '../core/plugin/sample-data'
import { builtins } from '../plugins'
import { startEndpoint, type Endpoint } from './helpers/endpoint'
import { runInProcess, securedSmsProfile, settingsDir } from './helpers/cli-in-process'
import { cliArgs } from './helpers/cli'

const ROOT = join(__dirname, '..')
const registry = new PluginRegistry(builtins)

const SECRETS = {
  TEST_API_KEY: 'key-9f8e7d6c5b4a',
  TEST_PASSWORD: 'pw-0a1b2c3d4e',
  TEST_WHSEC: `whsec_${Buffer.from('fedcba9876543210fedcba9876543210').toString('base64')}`,
  TEST_QUERY_TOKEN: 'qtok-55aa66bb',
}

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI in a child process (asynchronously: the endpoint answers from this process). */
function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...cliArgs(), ...args], { cwd: ROOT, env: { ...process.env, ...SECRETS } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

/** In this process (a child per case costs seconds on a loaded machine): only the first two cases below spawn the real executable. */
const cliInProcess = runInProcess

let ep: Endpoint
let refusedEp: Endpoint
let dir: string
let settings: string

t.before(async () => {
  Object.assign(process.env, SECRETS)
  ep = await startEndpoint()
  refusedEp = await startEndpoint({ host: '127.0.0.2' })
  ep.setBehaviour({ status: 500, body: 'receiver exploded' }, '/broken')
  const made = await settingsDir('cli-test-', { network: { allow: ['127.0.0.1'] }, delivery: { defaultTimeoutMs: 3000 } }, [
    securedSmsProfile(ep.url, 'TEST'),
    { id: 'acme-wa', title: 'ACME WhatsApp', account: 'acme', channel: 'whatsapp', events: ['message_status', 'incoming_message'], endpoint: `${ep.url}/wa` },
    { id: 'acme-broken', title: 'ACME broken', account: 'acme', channel: 'sms', endpoint: `${ep.url}/broken` },
    { id: 'acme-private', title: 'ACME private', account: 'acme', channel: 'sms', endpoint: `${refusedEp.url}/cb` },
  ])
  dir = made.dir
  settings = made.settings
})

t.teardown(async () => {
  await ep.close()
  await refusedEp.close()
  await rm(dir, { recursive: true, force: true })
})

t.beforeEach(() => ep.reset())

t.test('test sends the catalog sample through the real path, prints request and response, says "Callback profile tested"', async (t) => {
  const r = await cli(['--config', settings, 'test', 'acme-sms'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /Callback profile tested\n$/)
  t.match(r.stdout, /Response: 200 in [\d.]+ ms/)
  t.match(r.stdout, new RegExp(`POST ${ep.url.replace(/\./g, '\\.')}/cb\\?token=\\*\\*\\*\\*`))
  t.match(r.stdout, /authorization: Basic \*\*\*\*/)
  t.match(r.stdout, /x-api-key: \*\*\*\*/)
  t.match(r.stdout, /x-plain: visible/)
  t.match(r.stdout, /webhook-signature: v1,\*\*\*\*/)
  t.match(r.stdout, /user-agent: callback-router\//)
  for (const secret of Object.values(SECRETS)) t.notMatch(r.stdout + r.stderr, secret, 'no secret printed')
  t.notMatch(r.stdout, Buffer.from(`acme:${SECRETS.TEST_PASSWORD}`).toString('base64'))

  const [req] = await ep.waitFor(1)
  t.equal(ep.requests.length, 1, 'one request')
  t.equal(req.path, `/cb?token=${SECRETS.TEST_QUERY_TOKEN}`)
  t.equal(req.headers['x-api-key'], SECRETS.TEST_API_KEY, 'the real request carries the real values')
  t.equal(req.headers.authorization, `Basic ${Buffer.from(`acme:${SECRETS.TEST_PASSWORD}`).toString('base64')}`)
  const body = new Webhook(SECRETS.TEST_WHSEC).verify(req.body.toString(), {
    'webhook-id': String(req.headers['webhook-id']),
    'webhook-timestamp': String(req.headers['webhook-timestamp']),
    'webhook-signature': String(req.headers['webhook-signature']),
  }) as Record<string, unknown>
  const { _event: envelope, ...data } = body
  t.same(data, sampleData(registry.eventSpec('sms', 'sms-send')!), "the data is the catalog's examples")
  t.match(envelope, { account: 'acme', name: 'sms-send', profile: 'acme-sms' })
})

t.test('--data gives the data inline or from @file', async (t) => {
  const inline = await cliInProcess(['--config', settings, 'test', 'acme-wa', '--data', '{"status":"read"}'])
  t.equal(inline.code, 0, inline.stderr)
  const file = join(dir, 'data.json')
  await writeFile(file, '{"status":"failed"}')
  const fromFile = await cliInProcess(['--config', settings, 'test', 'acme-wa', '--data', `@${file}`])
  t.equal(fromFile.code, 0, fromFile.stderr)
  const bodies = ep.requests.map((r) => JSON.parse(r.body.toString()) as { status: string })
  t.same(bodies.map((b) => b.status), ['read', 'failed'])
})

t.test('--event picks one of the profile\'s events; an event it does not receive is bad usage', async (t) => {
  const r = await cliInProcess(['--config', settings, 'test', 'acme-wa', '--event', 'incoming_message'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /whatsapp incoming_message/)
  const body = JSON.parse(ep.requests[0].body.toString()) as { _event: { name: string } }
  t.equal(body._event.name, 'incoming_message')
  const bad = await cliInProcess(['--config', settings, 'test', 'acme-wa', '--event', 'payment_status'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /does not receive event "payment_status"/)
})

t.test('--event-file sends a whole envelope', async (t) => {
  const file = join(dir, 'event.json')
  await writeFile(file, JSON.stringify({ id: 'evt_from_file', account: 'acme', data: { status: 'sent' } }))
  const r = await cliInProcess(['--config', settings, 'test', 'acme-wa', '--event-file', file])
  t.equal(r.code, 0, r.stderr)
  t.equal(ep.requests[0].headers['webhook-id'], 'evt_from_file:acme-wa')
})

t.test('a non-2xx answer prints the status and body excerpt and exits 1 with the reason', async (t) => {
  const r = await cli(['--config', settings, 'test', 'acme-broken'])
  t.equal(r.code, 1)
  t.match(r.stdout, /Response: 500/)
  t.match(r.stdout, /receiver exploded/)
  t.notMatch(r.stdout, /Callback profile tested/)
  t.match(r.stderr, /Callback failed: status 500/)
})

t.test('an endpoint the network policy refuses exits 1 with address_refused, nothing sent', async (t) => {
  const r = await cliInProcess(['--config', settings, 'test', 'acme-private'])
  t.equal(r.code, 1)
  t.match(r.stderr, /address_refused/)
  t.match(r.stdout, /No response \(address_refused\)/)
  t.equal(refusedEp.connections, 0)
})

t.test('an unknown profile is reported', async (t) => {
  const r = await cliInProcess(['--config', settings, 'test', 'nope'])
  t.equal(r.code, 1)
  t.match(r.stderr, /no valid profile "nope"/)
})
