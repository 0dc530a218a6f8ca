// The breaker against a real endpoint that fails every request, then recovers:
// exactly breakerFailures attempts, none while open, single probes at doubling gaps,
// and on recovery every held event delivered once, none a dead letter.
import t from 'tap'
import { createFixture, eventually, profile } from './helpers/daemon-fixture'
import { startEndpoint } from './helpers/endpoint'
import { assertOpsEvent, heldOf, opsEvents, smsEvent, watchOps } from './helpers/health'
import { STREAMS } from '../core/jetstream/streams'

t.test('failing every request with breakerFailures 5, breakerOpenSeconds 2: 5 attempts, none for 2 s, single probes at growing gaps; recovery delivers every held event once', async (t) => {
  // Requests 0-4 open the breaker, 5 and 6 are failed probes, the 8th (index 7) recovers.
  const ep = await startEndpoint({ behaviour: (r) => (r.index < 7 ? { status: 500, body: 'down' } : { status: 204 }) })
  const f = await createFixture({
    profiles: [
      profile('acme-flaky', `${ep.url}/hook`, {
        retry: { count: 3, intervalSeconds: 0.3 },
        // One request at a time, so "exactly 5" is about the breaker, not about requests already in flight.
        rateLimit: { perSecond: 100, maxConcurrent: 1 },
        health: { breakerFailures: 5, breakerOpenSeconds: 2 },
      }),
    ],
  })
  t.teardown(async () => {
    await f.close()
    await ep.close()
  })
  await f.start()
  const N = 12
  for (let i = 0; i < N; i++) await f.publish('sms', 'sms-send', smsEvent(`b-${i}`, 'acme-flaky'))

  const first5 = await ep.waitFor(5, 20_000)
  await eventually(async () => (await heldOf(f.jsm, 'acme-flaky')) === N, 20_000, 100)
  const probes = await ep.waitFor(8, 40_000)
  const [p1, p2, p3] = probes.slice(5, 8)
  const t5 = first5[4].startedAt
  t.ok(p1.startedAt - t5 >= 2000, `no request for 2 s after the 5th failure (first probe after ${p1.startedAt - t5} ms)`)
  t.ok(p2.startedAt - p1.startedAt >= 4000, `the second probe waits twice as long (${p2.startedAt - p1.startedAt} ms)`)
  t.ok(p3.startedAt - p2.startedAt >= 8000, `the third twice as long again (${p3.startedAt - p2.startedAt} ms)`)
  t.ok(p2.startedAt - p1.startedAt > p1.startedAt - t5, 'the gaps grow')

  await eventually(() => new Set(ep.requests.filter((r) => r.index >= 7).map((r) => r.headers['webhook-id'])).size === N, 30_000, 100)
  await eventually(async () => (await heldOf(f.jsm, 'acme-flaky')) === 0, 10_000, 100)
  const delivered = ep.requests.filter((r) => r.index >= 7).map((r) => String(r.headers['webhook-id']))
  t.equal(delivered.length, N, 'every held event arrived once after the recovery')
  t.equal(new Set(delivered).size, N)
  t.equal(ep.requests.length, 7 + N, 'attempts: 5 to open, 2 failed probes, then one per event')
  t.equal((await f.jsm.streams.info(STREAMS.dead)).state.messages, 0, 'none became a dead letter')

  const ops = await opsEvents(f.jsm)
  t.same(ops.map((e) => e.subject), ['callback-router.ops.profile.breaker_opened', 'callback-router.ops.profile.breaker_closed'])
  assertOpsEvent(t, ops[0], { profile: 'acme-flaky', account: 'acme', event: 'breaker_opened', reason: 'consecutive_failures' })
  assertOpsEvent(t, ops[1], { profile: 'acme-flaky', account: 'acme', event: 'breaker_closed', reason: 'probe_succeeded' })
})

t.test('a breaker open for pauseAfterMinutes (0.02 min = 1.2 s) pauses the profile: ops events breaker_opened, then paused with reason open_too_long', async (t) => {
  const ep = await startEndpoint({ behaviour: { status: 500, body: 'down' } })
  const f = await createFixture({
    profiles: [
      profile('acme-long', `${ep.url}/hook`, {
        retry: { count: 3, intervalSeconds: 0.2 },
        rateLimit: { perSecond: 100, maxConcurrent: 1 },
        // No probe within the test: only the clock can pause it.
        health: { breakerFailures: 2, breakerOpenSeconds: 300, pauseAfterMinutes: 0.02 },
      }),
    ],
  })
  t.teardown(async () => {
    await f.close()
    await ep.close()
  })
  const ops = watchOps(f.nc)
  await f.start()
  for (let i = 0; i < 3; i++) await f.publish('sms', 'sms-send', smsEvent(`l-${i}`, 'acme-long'))

  await eventually(() => ops.some((e) => e.body.event === 'paused'), 20_000, 50)
  await eventually(async () => (await heldOf(f.jsm, 'acme-long')) === 3, 10_000, 100)
  t.same(ops.map((e) => e.body.event), ['breaker_opened', 'paused'], 'opened, then paused by the clock')
  assertOpsEvent(t, ops[0], { profile: 'acme-long', account: 'acme', event: 'breaker_opened', reason: 'consecutive_failures' })
  assertOpsEvent(t, ops[1], { profile: 'acme-long', account: 'acme', event: 'paused', reason: 'open_too_long' })
  t.ok(Date.parse(String(ops[1].body.at)) - Date.parse(String(ops[0].body.at)) >= 1200, 'paused no sooner than pauseAfterMinutes after opening')
  t.equal(ep.requests.length, 2, 'breakerFailures attempts, then nothing: no probe, every event held')
  const stored = (await opsEvents(f.jsm)).map((e) => e.subject)
  t.same(stored, ['callback-router.ops.profile.breaker_opened', 'callback-router.ops.profile.paused'], 'both kept in CALLBACK_OPS')
})
