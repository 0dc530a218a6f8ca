// Nothing dropped silently: every reason code of DESIGN becomes exactly one dead letter
// holding the original bytes, and the CLI lists, shows and replays them (delivered once).
import t from 'tap'
import { PluginRegistry } from '../core/plugin/registry'
import { builtins } from '../plugins'
import { sampleData } from '../core/plugin/sample-data'
import { ROUTING, DELIVERY } from '../core/errors'
import { STREAMS } from '../core/jetstream/streams'
import { listDeadLetters, type DeadLetterEntry } from '../core/jetstream/dead-letters'
import { startEndpoint } from './helpers/endpoint'
import { NatsServer } from './helpers/nats-server'
import { createFixture, profile, eventually, runCli, sleep } from './helpers/daemon-fixture'

const registry = new PluginRegistry(builtins)
const data = sampleData(registry.eventSpec('sms', 'sms-send')!)

t.test('every reason code is one dead letter with the original bytes; list, show and replay through the CLI', async (t) => {
  const nats = await NatsServer.start({ maxPayload: 256 * 1024 })
  t.teardown(() => nats.close())
  const ep = await startEndpoint({ behaviour: { status: 500 } })
  ep.setBehaviour({ status: 410 }, '/gone')
  t.teardown(() => ep.close())
  const fx = await createFixture({
    nats,
    profiles: [
      profile('p-ok', `${ep.url}/ok`, { account: 'acme', events: ['sms-send'] }),
      profile('p-off', `${ep.url}/off`, { account: 'acme', enabled: false }),
      profile('p-wa', `${ep.url}/wa`, { account: 'acme', channel: 'whatsapp', events: ['incoming_message'] }),
      profile('p-other', `${ep.url}/other`, { account: 'globex' }),
      profile('p-exhaust', `${ep.url}/exhaust`, { account: 'exhaust', retry: { count: 0 } }),
      profile('p-refused', 'http://10.255.255.1:9/x', { account: 'refused' }),
      profile('p-render', `${ep.url}/render`, { account: 'render', headers: { 'X-Msg': '<message>' } }),
      profile('p-removed', `${ep.url}/removed`, { account: 'removed', retry: { count: 1, intervalSeconds: 2 } }),
      // 410 pauses the profile; its event is held, and after holdHours (here 1.8 s) expires.
      profile('p-gone', `${ep.url}/gone`, { account: 'gone', health: { holdHours: 0.0005 } }),
    ],
  })
  t.teardown(() => fx.close())
  await fx.start()

  const big = { id: 'evt_big', account: 'acme', data: { ...data, message: 'x'.repeat(200 * 1024) } }
  const cases: Array<[reason: string, channel: string, event: string, body: Record<string, unknown> | string]> = [
    ['invalid_json', 'sms', 'sms-send', '{"id": "evt_bad'],
    ['invalid_envelope', 'sms', 'sms-send', { id: 'evt_env', data }],
    ['unknown_channel', 'pigeon', 'coo', { id: 'evt_uc', account: 'acme', data: {} }],
    ['unknown_event', 'sms', 'sms-receive', { id: 'evt_ue', account: 'acme', data }],
    ['invalid_payload', 'sms', 'sms-send', { id: 'evt_ip', account: 'acme', data: { to: { not: 'a string' } } }],
    ['payload_too_large', 'sms', 'sms-send', big],
    ['no_profile', 'sms', 'sms-send', { id: 'evt_np', account: 'nobody', data }],
    ['profile_not_found', 'sms', 'sms-send', { id: 'evt_pnf', account: 'acme', profile: 'ghost', data }],
    ['account_mismatch', 'sms', 'sms-send', { id: 'evt_am', account: 'acme', profile: 'p-other', data }],
    ['profile_disabled', 'sms', 'sms-send', { id: 'evt_pd', account: 'acme', profile: 'p-off', data }],
    ['event_not_subscribed', 'sms', 'sms-send', { id: 'evt_ens', account: 'acme', profile: 'p-wa', data }],
    ['retries_exhausted', 'sms', 'sms-send', { id: 'evt_re', account: 'exhaust', data }],
    ['address_refused', 'sms', 'sms-send', { id: 'evt_ar', account: 'refused', data }],
    ['render_failed', 'sms', 'sms-send', { id: 'evt_rf', account: 'render', data: { ...data, message: 'line1\r\nInjected: yes' } }],
    ['profile_removed', 'sms', 'sms-send', { id: 'evt_pr', account: 'removed', data }],
    ['held_expired', 'sms', 'sms-send', { id: 'evt_he', account: 'gone', data }],
  ]
  t.same(new Set(cases.map((c) => c[0])), new Set([...Object.keys(ROUTING), ...Object.keys(DELIVERY)]), 'the cases cover every reason code')
  const bytes = new Map<string, Buffer>()
  for (const [reason, channel, event, body] of cases) {
    const buf = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))
    bytes.set(reason, buf)
    await fx.publish(channel, event, buf, `msg-${reason}`)
  }
  // profile_removed: the first attempt fails, and the profile goes while its retry waits.
  await eventually(() => ep.requests.some((r) => r.pathname === '/removed'))
  await fx.removeProfile('p-removed')

  const dead = await eventually(async () => {
    const list = await listDeadLetters(fx.js, fx.jsm)
    return list.length >= cases.length ? list : undefined
  }, 20_000)
  await sleep(300)
  const final = await listDeadLetters(fx.js, fx.jsm)
  t.equal(final.length, cases.length, 'exactly one dead letter per event')
  const byReason = new Map<string, DeadLetterEntry>(dead.map((d) => [d.reason, d]))
  for (const [reason] of cases) {
    const d = byReason.get(reason)
    t.ok(d, `${reason} is a dead letter`)
    if (!d) continue
    const stored = await fx.jsm.streams.getMessage(STREAMS.dead, { seq: Number(d.id) })
    t.ok(Buffer.from(stored.data).equals(bytes.get(reason)!), `${reason} keeps the original bytes`)
    t.match(d.at, /^\d{4}-\d\d-\d\dT.*Z$/)
  }
  t.equal(byReason.get('invalid_json')?.eventId, null, 'eventId null when unparsable')
  t.equal(byReason.get('no_profile')?.profile, null, 'profile null when none matched')
  t.equal(byReason.get('retries_exhausted')?.profile, 'p-exhaust')
  t.equal(byReason.get('retries_exhausted')?.attempts, 1)
  t.equal(byReason.get('profile_removed')?.attempts, 1)
  t.equal(ep.requests.filter((r) => r.pathname === '/render').length, 0, 'render_failed sends nothing')

  // The CLI: list, show, replay.
  const cli = (args: string[]) => runCli(['-c', fx.configFile, ...args, '--nats', nats.url])
  const list = await cli(['dead-letters', 'list', '--json', '--reason', 'retries_exhausted'])
  t.equal(list.code, 0, list.stderr)
  const rows = JSON.parse(list.stdout) as DeadLetterEntry[]
  t.same(rows.map((r) => Object.keys(r).sort()), [['at', 'attempts', 'detail', 'eventId', 'id', 'profile', 'reason']])
  const human = await cli(['dead-letters', 'list', '--profile', 'p-exhaust'])
  t.match(human.stdout, /^ID\s+AT\s+REASON/)
  t.match(human.stdout, /retries_exhausted/)

  const show = await cli(['dead-letters', 'show', rows[0].id, '--json'])
  t.equal(show.code, 0, show.stderr)
  const shown = JSON.parse(show.stdout) as { event: { id: string }; attempts: Array<{ status: number; attempt: number }> }
  t.equal(shown.event.id, 'evt_re')
  t.same(shown.attempts.map((a) => [a.attempt, a.status]), [[1, 500]])

  ep.setBehaviour({ status: 200 })
  const replay = await cli(['dead-letters', 'replay', rows[0].id])
  t.equal(replay.code, 0, replay.stderr)
  t.match(replay.stdout, /cycle 2/)
  const again = await cli(['dead-letters', 'replay', rows[0].id])
  t.equal(again.code, 1, 'a replayed dead letter is gone')
  const delivered = await eventually(() => {
    const r = ep.requests.filter((x) => x.pathname === '/exhaust')
    return r.length === 2 ? r : undefined
  })
  await sleep(500)
  t.equal(ep.requests.filter((x) => x.pathname === '/exhaust').length, 2, 'the replay is delivered once')
  t.equal(delivered[1].headers['webhook-id'], 'evt_re:p-exhaust')
  const attempts = await cli(['attempts', 'evt_re', '--json'])
  const arows = JSON.parse(attempts.stdout) as Array<{ cycle: number; attempt: number; status: number }>
  t.same(arows.map((a) => [a.cycle, a.attempt, a.status]), [[1, 1, 500], [2, 1, 200]], 'attempts show both cycles')
  const ahuman = await cli(['attempts', 'evt_re'])
  t.match(ahuman.stdout, /^PROFILE\s+CYCLE\s+ATTEMPT/)

  // A routing dead letter goes back through routing: after the profile exists, it is delivered.
  await fx.writeProfile(profile('p-nobody', `${ep.url}/nobody`, { account: 'nobody' }))
  await sleep(600)
  const all = await cli(['dead-letters', 'replay', '--all', '--reason', 'no_profile'])
  t.equal(all.code, 0, all.stderr)
  t.match(all.stdout, /through routing/)
  const got = await eventually(() => ep.requests.find((x) => x.pathname === '/nobody'))
  t.equal(got.headers['webhook-id'], 'evt_np:p-nobody')
  const after = await listDeadLetters(fx.js, fx.jsm)
  t.notOk(after.some((d) => d.reason === 'no_profile'), 'the replayed dead letter left the list')
})
