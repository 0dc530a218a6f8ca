// 410 Gone pauses a profile; its events are held on JetStream, not attempted; `profiles
// resume` delivers every held event once. Real nats-server, real endpoint, a real daemon.
import t from 'tap'
import { createFixture, eventually, profile, runCli } from './helpers/daemon-fixture'
import { startEndpoint } from './helpers/endpoint'
import { assertOpsEvent, heldOf, opsEvents, smsEvent } from './helpers/health'
import { STREAMS } from '../core/jetstream/streams'
import { ProfileStates } from '../core/daemon/profile-state'

t.test('an endpoint answering 410: paused after its first answer; 50 more reach it zero times; resume delivers all 51, each once', async (t) => {
  let gone = true
  const ep = await startEndpoint({ behaviour: () => (gone ? { status: 410, body: 'gone' } : { status: 200 }) })
  const f = await createFixture({ profiles: [profile('acme-gone', `${ep.url}/hook`, { retry: { count: 3, intervalSeconds: 0.2 } }), profile('acme-ok', `${ep.url}/other`)] })
  t.teardown(async () => {
    await f.close()
    await ep.close()
  })
  await f.start()
  const states = await ProfileStates.open(f.js, { replicas: 1, watch: true })
  t.teardown(() => states.stop())

  await f.publish('sms', 'sms-send', smsEvent('g-0', 'acme-gone'))
  await ep.waitFor(1, 15_000)
  await eventually(() => states.get('acme-gone').state === 'paused', 10_000)
  t.equal(states.get('acme-gone').reason, 'gone', 'paused because the endpoint said 410 Gone')

  for (let i = 1; i <= 50; i++) await f.publish('sms', 'sms-send', smsEvent(`g-${i}`, 'acme-gone'))
  // Another tenant's profile keeps going meanwhile.
  await f.publish('sms', 'sms-send', smsEvent('o-1', 'acme-ok'))
  await eventually(async () => (await heldOf(f.jsm, 'acme-gone')) === 51, 20_000, 100)
  const hook = () => ep.requests.filter((r) => r.pathname === '/hook')
  t.equal(hook().length, 1, 'the 50 events after the 410 reached the endpoint zero times')
  await eventually(() => ep.requests.some((r) => r.pathname === '/other'), 10_000)

  gone = false
  const r = await runCli(['--config', f.configFile, 'profiles', 'resume', 'acme-gone'])
  t.equal(r.code, 0, r.stderr)
  await eventually(() => hook().length >= 52, 30_000, 100)
  await eventually(async () => (await heldOf(f.jsm, 'acme-gone')) === 0, 10_000, 100)
  const after = hook().slice(1)
  const ids = after.map((q) => String(q.headers['webhook-id']))
  t.equal(new Set(ids).size, 51, 'all 51 events arrived after the resume')
  t.equal(ids.length, 51, 'each once')
  const dead = await f.jsm.streams.info(STREAMS.dead)
  t.equal(dead.state.messages, 0, 'no dead letters')

  const events = await opsEvents(f.jsm)
  const paused = events.find((e) => e.subject === 'callback-router.ops.profile.paused')
  t.ok(paused, 'a paused ops event')
  if (paused) assertOpsEvent(t, paused, { profile: 'acme-gone', account: 'acme', event: 'paused', reason: 'gone' })
  const resumed = events.find((e) => e.subject === 'callback-router.ops.profile.resumed')
  t.ok(resumed, 'a resumed ops event')
  if (resumed) assertOpsEvent(t, resumed, { profile: 'acme-gone', account: 'acme', event: 'resumed', reason: 'operator', held: 51 })
})
