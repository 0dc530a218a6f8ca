// End to end through a real nats-server and real HTTP endpoints: every channel and event,
// every method and format, headers, auth, encryption, signing, fast path and fan-out.
import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { PluginRegistry } from '../core/plugin/registry'
import { builtins } from '../plugins'
import { sampleData } from '../core/plugin/sample-data'
import { decryptValue } from '../core/render/encrypt'
import { STREAMS } from '../core/jetstream/streams'
import { startEndpoint } from './helpers/endpoint'
import { createFixture, profile, eventually, runCli } from './helpers/daemon-fixture'
import { freePort, natsServerBinary } from './helpers/nats-server'
import { connectNats } from '../core/jetstream/connection'
import { loadSettings } from '../core/config/settings'
import { spawn } from 'node:child_process'

const registry = new PluginRegistry(builtins)
const WHSEC = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')
const AES_KEY = 'k'.repeat(32)

t.test('the daemon delivers events of every channel and every method, format and auth', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  ep.setBehaviour({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: 'tok-123', expires_in: '3600' }) }, '/token')

  const channels = registry.plugins.filter((p) => !p.catchAll)
  const profiles: Array<Record<string, unknown>> = channels.map((p) => profile(`all-${p.name}`, `${ep.url}/ch/${p.name}`, { channel: p.name, account: 'every' }))
  profiles.push(profile('catch-all', `${ep.url}/ch/default`, { channel: 'default', account: 'every' }))
  profiles.push(
    profile('m-get', `${ep.url}/get?to=<to>&status=<status>`, { account: 'methods', method: 'GET', events: ['sms-send'], headers: { 'X-Api-Key': 'key-1' } }),
    profile('m-post', `${ep.url}/post`, { account: 'methods', method: 'POST', format: 'json', body: { phone: '<to>', s: '<status>' }, auth: { type: 'basic', username: 'user', password: 'pa ss' } }),
    profile('m-put', `${ep.url}/put`, { account: 'methods', method: 'PUT', format: 'urlencoded', body: { to: '<to>', status: '<status>' }, signing: { secret: WHSEC } }),
    profile('m-patch', `${ep.url}/patch`, { account: 'methods', method: 'PATCH', format: 'form', body: { to: '<to>' }, auth: { type: 'oauth2', tokenUrl: `${ep.url}/token`, clientId: 'router', clientSecret: 'sec' } }),
    profile('m-delete', `${ep.url}/delete?id=<id>`, { account: 'methods', method: 'DELETE', encryption: { algorithm: 'aes-256-gcm', key: AES_KEY, iv: 'random', parameters: ['id'] } }),
  )
  const fx = await createFixture({ profiles })
  t.teardown(() => fx.close())
  await fx.start()

  // Every channel and event: one delivery each to the channel's profile.
  const sent: Array<{ id: string; channel: string; event: string }> = []
  for (const p of channels) {
    for (const event of Object.keys(p.events)) {
      const id = `evt_${p.name}_${event}`.replace(/[^A-Za-z0-9_-]/g, '_')
      await fx.publish(p.name, event, { id, account: 'every', data: sampleData(p.events[event]) })
      sent.push({ id, channel: p.name, event })
    }
  }
  await fx.publish('default', 'custom-thing', { id: 'evt_default_custom', account: 'every', data: { anything: 1 } })
  const reqs = await ep.waitFor(sent.length + 1, 15_000)
  for (const s of sent) {
    const got = reqs.filter((r) => r.headers['webhook-id'] === `${s.id}:all-${s.channel}`)
    t.equal(got.length, 1, `${s.channel}/${s.event} delivered once`)
    t.equal(got[0]?.pathname, `/ch/${s.channel}`)
    const body = JSON.parse(got[0]?.body.toString() ?? '{}') as { _event?: { name?: string; id?: string } }
    t.equal(body._event?.name, s.event, 'default json body carries _event')
  }
  const custom = reqs.find((r) => r.headers['webhook-id'] === 'evt_default_custom:catch-all')
  t.ok(custom, 'an event under <prefix>.default.<event> reaches the catch-all profile')

  // Methods, formats, headers, auth, encryption, signing: one sms event fans out to five profiles.
  ep.reset()
  const data = sampleData(registry.eventSpec('sms', 'sms-send')!) as { to: string; status: string; id: string }
  await fx.publish('sms', 'sms-send', { id: 'evt_methods', account: 'methods', data })
  const m = await ep.waitFor(6, 15_000) // five callbacks and one token request
  const by = (path: string) => m.find((r) => r.pathname === path)!

  const get = by('/get')
  t.equal(get.method, 'GET')
  t.equal(new URL(get.url).searchParams.get('to'), data.to, 'GET carries variables in the query, URL-encoded')
  t.equal(get.headers['x-api-key'], 'key-1', 'profile headers are sent')
  t.equal(get.body.length, 0)

  const post = by('/post')
  t.equal(post.method, 'POST')
  t.match(post.headers['content-type'], /application\/json/)
  t.same(JSON.parse(post.body.toString()), { phone: data.to, s: data.status })
  t.equal(post.headers.authorization, 'Basic ' + Buffer.from('user:pa ss').toString('base64'), 'basic auth')

  const put = by('/put')
  t.equal(put.method, 'PUT')
  t.match(put.headers['content-type'], /application\/x-www-form-urlencoded/)
  t.equal(new URLSearchParams(put.body.toString()).get('to'), data.to)
  const wh = new Webhook(WHSEC)
  // standardwebhooks' verify() also JSON-parses the payload, so compare with its sign().
  const expected = wh.sign(String(put.headers['webhook-id']), new Date(Number(put.headers['webhook-timestamp']) * 1000), put.body.toString())
  t.equal(put.headers['webhook-signature'], expected, 'the signature matches standardwebhooks')
  t.equal(put.headers['webhook-id'], 'evt_methods:m-put')

  const token = by('/token')
  t.equal(token.method, 'POST')
  t.match(token.body.toString(), /grant_type=client_credentials/)
  const patch = by('/patch')
  t.equal(patch.method, 'PATCH')
  t.match(patch.headers['content-type'], /multipart\/form-data; boundary=/)
  t.match(patch.body.toString(), data.to)
  t.equal(patch.headers.authorization, 'Bearer tok-123', 'oauth2 bearer token')

  const del = by('/delete')
  t.equal(del.method, 'DELETE')
  const encrypted = new URL(del.url).searchParams.get('id')!
  t.not(encrypted, data.id, 'the parameter is encrypted')
  t.equal(decryptValue({ algorithm: 'aes-256-gcm', key: AES_KEY, iv: 'random', parameters: ['id'] }, encrypted), data.id, 'and decrypts to the original value')
})

t.test('one matching profile is delivered straight from the event; several get one job each', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  const fx = await createFixture({
    profiles: [profile('solo', `${ep.url}/solo`, { account: 'solo' }), profile('fan-a', `${ep.url}/a`, { account: 'fan' }), profile('fan-b', `${ep.url}/b`, { account: 'fan' })],
  })
  t.teardown(() => fx.close())
  const d = await fx.start()
  const data = sampleData(registry.eventSpec('sms', 'sms-send')!)
  const jobsSeq = async () => (await fx.jsm.streams.info(STREAMS.jobs)).state.last_seq

  const before = await jobsSeq()
  await fx.publish('sms', 'sms-send', { id: 'evt_solo', account: 'solo', data })
  await ep.waitFor(1)
  t.equal(await jobsSeq(), before, 'the fast path publishes no job')

  await fx.publish('sms', 'sms-send', { id: 'evt_fan', account: 'fan', data })
  const reqs = await ep.waitFor(3)
  t.same(reqs.filter((r) => r.headers['webhook-id']?.toString().startsWith('evt_fan:')).map((r) => r.pathname).sort(), ['/a', '/b'], 'each profile once')
  t.equal((await jobsSeq()) - before, 2, 'fan-out: one job per profile')
  await eventually(async () => (await fx.jsm.streams.info(STREAMS.events)).state.messages === 0)
  await eventually(async () => (await fx.jsm.streams.info(STREAMS.jobs)).state.messages === 0)
  t.pass('events and jobs are acked (work queues empty)')

  // A repeat of the same event id within the duplicate window is dropped by the stream.
  const dup = await fx.publish('sms', 'sms-send', { id: 'evt_solo', account: 'solo', data })
  t.equal(dup.duplicate, true)

  // `publish` builds the envelope from the catalog and sets Nats-Msg-Id to the id.
  const cli = (args: string[]) => runCli(['-c', fx.configFile, 'publish', ...args, '--nats', fx.nats.url])
  const pub = await cli(['sms', 'sms-send', '--account', 'solo', '--id', 'evt_cli', '--json'])
  t.equal(pub.code, 0, pub.stderr)
  const ack = JSON.parse(pub.stdout) as { id: string; stream: string; seq: number; duplicate: boolean }
  t.match(ack, { id: 'evt_cli', stream: STREAMS.events, duplicate: false })
  const viaCli = await eventually(() => ep.requests.find((r) => r.headers['webhook-id'] === 'evt_cli:solo'))
  t.same(JSON.parse(viaCli.body.toString()).to, (data as { to: string }).to, 'data defaults to the catalog examples')
  const again = await cli(['sms', '--account', 'solo', '--id', 'evt_cli', '--data', JSON.stringify(data)])
  t.equal(again.code, 0, again.stderr)
  t.match(again.stdout, /duplicate/, 'the same id again is a duplicate')
  const bad = await cli(['whatsapp', '--account', 'solo'])
  t.equal(bad.code, 2, 'a channel with several events needs one named')

  // Metrics carry DESIGN's names with bounded labels.
  const text = await d.metrics.metrics()
  for (const name of ['events_received_total', 'events_invalid_total', 'deliveries_total', 'attempt_duration_seconds', 'retries_scheduled_total', 'dead_letters_total', 'in_flight', 'config_reloads_total', 'consumer_pending', 'retries_waiting']) {
    t.match(text, new RegExp(`# TYPE callback_router_${name} `), `metric callback_router_${name}`)
  }
  t.match(text, /callback_router_deliveries_total\{channel="sms",event="sms-send",outcome="delivered"\} [1-9]/)
  t.match(d.ready(), { ready: true, checks: { nats: true, consumers: true } })
})

t.test('a NATS without JetStream gets a clear error', async (t) => {
  const port = await freePort()
  const proc = spawn(natsServerBinary(), ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' })
  t.teardown(() => {
    proc.kill('SIGKILL')
  })
  await new Promise((r) => setTimeout(r, 300))
  const { settings } = await loadSettings('config/callback-router.json')
  await t.rejects(connectNats(settings!, { servers: [`nats://127.0.0.1:${port}`], reconnectForever: false }), { code: 'NATS_NO_JETSTREAM' })
})
