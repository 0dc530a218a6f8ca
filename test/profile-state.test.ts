import t from 'tap'
import { connect, type NatsConnection } from 'nats'
import { NatsServer } from './helpers/nats-server'
import { createFixture, eventually, profile, runCli } from './helpers/daemon-fixture'
import { ProfileStates } from '../core/daemon/profile-state'
import { onFailure, DEFAULT_HEALTH } from '../core/delivery/breaker'
import { STREAMS } from '../core/jetstream/streams'

let nats: NatsServer
t.before(async () => {
  nats = await NatsServer.start()
})
t.teardown(() => nats.close())

t.test('failures counted by two holders at once all count: every write is a compare-and-set on CALLBACK_PROFILE_STATE', async (t) => {
  const a: NatsConnection = await connect({ servers: nats.url })
  const b: NatsConnection = await connect({ servers: nats.url })
  t.teardown(async () => {
    await a.close()
    await b.close()
  })
  const sa = await ProfileStates.open(a.jetstream(), { replicas: 1, watch: true })
  const sb = await ProfileStates.open(b.jetstream(), { replicas: 1, watch: true })
  t.teardown(() => {
    sa.stop()
    sb.stop()
  })
  const policy = { ...DEFAULT_HEALTH, breakerFailures: 1000 }
  const fail = (s: ProfileStates) => s.change('p-race', (st) => onFailure(st, Date.now(), policy, { gone: false, probe: false }))
  await Promise.all(Array.from({ length: 40 }, (_, i) => fail(i % 2 ? sa : sb)))
  const seen = await eventually(() => (sa.get('p-race').failures === 40 && sb.get('p-race').failures === 40 ? true : undefined), 10_000)
  t.ok(seen, 'both holders see all 40 failures (none lost to a concurrent write)')
})

t.test('`profiles pause` / `resume`: the state in the bucket, an ops event each, and `profiles --json` shows it', async (t) => {
  const f = await createFixture({ nats, profiles: [profile('acme-p1', 'http://127.0.0.1:9/x')] })
  t.teardown(() => f.close())
  const watcher = await ProfileStates.open(f.js, { replicas: 1, watch: true })
  t.teardown(() => watcher.stop())

  const paused = await runCli(['--config', f.configFile, 'profiles', 'pause', 'acme-p1', '--json'])
  t.equal(paused.code, 0, paused.stderr)
  t.same(JSON.parse(paused.stdout), { id: 'acme-p1', state: 'paused', stateReason: 'operator', changed: true })
  await eventually(() => watcher.get('acme-p1').state === 'paused', 5000)

  const list = await runCli(['--config', f.configFile, 'profiles', '--json'])
  t.equal(list.code, 0, list.stderr)
  const row = JSON.parse(list.stdout).find((r: { id: string }) => r.id === 'acme-p1')
  t.equal(row.state, 'paused')
  t.equal(row.stateReason, 'operator')

  const resumed = await runCli(['--config', f.configFile, 'profiles', 'resume', 'acme-p1', '--json'])
  t.equal(resumed.code, 0, resumed.stderr)
  t.same(JSON.parse(resumed.stdout), { id: 'acme-p1', state: 'closed', stateReason: null, changed: true })

  const unknown = await runCli(['--config', f.configFile, 'profiles', 'pause', 'nope'])
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /no profile "nope"/)

  const info = await f.jsm.streams.info(STREAMS.ops)
  t.equal(info.state.messages, 2, 'one ops event per change')
  const events = []
  for (const seq of [1, 2]) {
    const m = await f.jsm.streams.getMessage(STREAMS.ops, { seq })
    events.push({ subject: m.subject, body: m.json<Record<string, unknown>>() })
  }
  t.same(events.map((e) => e.subject), ['callback-router.ops.profile.paused', 'callback-router.ops.profile.resumed'])
  for (const e of events) {
    t.same(Object.keys(e.body).sort(), ['account', 'at', 'event', 'held', 'profile', 'reason'])
    t.equal(e.body.profile, 'acme-p1')
    t.equal(e.body.account, 'acme')
    t.equal(e.body.reason, 'operator')
    t.equal(e.body.held, 0)
    t.match(e.body.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  }
})
