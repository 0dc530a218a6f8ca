// Durable retries: network errors, timeouts and every non-2xx are retried, never earlier
// than scheduled, Retry-After honoured, the attempt number surviving a restart, and the
// last failure a retries_exhausted dead letter summarising every attempt.
import t from 'tap'
import { PluginRegistry } from '../core/plugin/registry'
import { builtins } from '../plugins'
import { sampleData } from '../core/plugin/sample-data'
import { readAttempts } from '../core/jetstream/attempt-log'
import { listDeadLetters, showDeadLetter } from '../core/jetstream/dead-letters'
import { startEndpoint } from './helpers/endpoint'
import { createFixture, profile, eventually, sleep } from './helpers/daemon-fixture'

const registry = new PluginRegistry(builtins)
const data = sampleData(registry.eventSpec('sms', 'sms-send')!)

t.test('retries wait at least their fractional interval, and exhaustion is one dead letter with every attempt', async (t) => {
  const ep = await startEndpoint({ behaviour: { status: 503 } })
  t.teardown(() => ep.close())
  const fx = await createFixture({ profiles: [profile('flaky', `${ep.url}/x`, { retry: { count: 2, intervalSeconds: 0.3 } })] })
  t.teardown(() => fx.close())
  await fx.start()
  await fx.publish('sms', 'sms-send', { id: 'evt_r1', account: 'acme', data })
  const reqs = await ep.waitFor(3, 10_000)
  for (let i = 1; i < 3; i++) {
    t.ok(reqs[i].startedAt - reqs[i - 1].receivedAt >= 300, `retry ${i} starts no earlier than 0.3 s after attempt ${i} (${Math.round(reqs[i].startedAt - reqs[i - 1].receivedAt)} ms)`)
  }
  t.same(new Set(reqs.map((r) => r.headers['webhook-id'])), new Set(['evt_r1:flaky']), 'webhook-id is stable across retries')
  const dead = await eventually(async () => {
    const list = (await listDeadLetters(fx.js, fx.jsm)).filter((d) => d.eventId === 'evt_r1')
    return list.length ? list : undefined
  })
  t.equal(dead.length, 1)
  t.equal(dead[0].reason, 'retries_exhausted')
  t.equal(dead[0].attempts, 3)
  t.match(dead[0].detail, /status 503/)
  await sleep(500)
  t.equal(ep.requests.length, 3, 'no attempt after the last')
  const attempts = await eventually(async () => {
    const a = await readAttempts(fx.js, fx.jsm, 'evt_r1')
    return a.length === 3 ? a : undefined
  })
  t.same(attempts.map((a) => [a.cycle, a.attempt, a.status, a.profile]), [[1, 1, 503, 'flaky'], [1, 2, 503, 'flaky'], [1, 3, 503, 'flaky']])
  const shown = await showDeadLetter(fx.js, fx.jsm, dead[0].id)
  t.same((shown?.event as { id: string }).id, 'evt_r1', 'the dead letter holds the original event')
  t.equal(shown?.attempts.length, 3)
})

t.test('a failure then a success: delivered, no dead letter; timeouts and resets are retried', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  ep.setBehaviour((r) => (r.pathIndex === 0 ? { status: 500 } : {}), '/once')
  ep.setBehaviour((r) => (r.pathIndex === 0 ? { drop: true } : {}), '/reset')
  ep.setBehaviour((r) => (r.pathIndex === 0 ? { hang: true, hangBeforeHeaders: true } : {}), '/hang')
  const fx = await createFixture({
    profiles: [
      profile('once', `${ep.url}/once`, { account: 'a1', retry: { count: 1, intervalSeconds: 0.2 } }),
      profile('reset', `${ep.url}/reset`, { account: 'a2', retry: { count: 1, intervalSeconds: 0.2 } }),
      profile('hang', `${ep.url}/hang`, { account: 'a3', retry: { count: 1, intervalSeconds: 0.2, timeoutMs: 300 } }),
    ],
  })
  t.teardown(() => fx.close())
  await fx.start()
  for (const a of ['a1', 'a2', 'a3']) await fx.publish('sms', 'sms-send', { id: `evt_${a}`, account: a, data })
  await ep.waitFor(6, 10_000)
  const attempts = await eventually(async () => {
    const all = await Promise.all(['evt_a1', 'evt_a2', 'evt_a3'].map((id) => readAttempts(fx.js, fx.jsm, id)))
    return all.every((a) => a.length === 2) ? all : undefined
  })
  t.same(attempts.map((a) => a.map((x) => x.status)), [[500, 200], [null, 200], [null, 200]])
  t.equal(attempts[2][0].error, 'timeout')
  t.ok(attempts[2][0].latencyMs >= 290, 'the timeout covered the attempt')
  t.same(await listDeadLetters(fx.js, fx.jsm), [], 'no dead letters')
})

t.test('Retry-After on 503 longer than the interval is honoured', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  ep.setBehaviour((r) => (r.index === 0 ? { status: 503, headers: { 'retry-after': '1' } } : {}))
  const fx = await createFixture({ profiles: [profile('ra', `${ep.url}/ra`, { retry: { count: 1, intervalSeconds: 0.1 } })] })
  t.teardown(() => fx.close())
  await fx.start()
  await fx.publish('sms', 'sms-send', { id: 'evt_ra', account: 'acme', data })
  const reqs = await ep.waitFor(2, 10_000)
  t.ok(reqs[1].startedAt - reqs[0].receivedAt >= 1000, `waited ${Math.round(reqs[1].startedAt - reqs[0].receivedAt)} ms ≥ 1000 ms`)
})

t.test('a restart with retries waiting keeps the attempt number and the schedule', async (t) => {
  const ep = await startEndpoint({ behaviour: { status: 502 } })
  t.teardown(() => ep.close())
  const fx = await createFixture({ profiles: [profile('durable', `${ep.url}/d`, { retry: { count: 2, intervalSeconds: 1.5 } })] })
  t.teardown(() => fx.close())
  const d1 = await fx.start()
  await fx.publish('sms', 'sms-send', { id: 'evt_restart', account: 'acme', data })
  await ep.waitFor(1)
  await sleep(200)
  await d1.stop()
  await fx.start()
  const reqs = await ep.waitFor(3, 15_000)
  t.ok(reqs[1].startedAt - reqs[0].receivedAt >= 1500, 'the retry after the restart is not early')
  const attempts = await eventually(async () => {
    const a = await readAttempts(fx.js, fx.jsm, 'evt_restart')
    return a.length === 3 ? a : undefined
  })
  t.same(attempts.map((a) => a.attempt), [1, 2, 3], 'attempt numbers continue across the restart')
  const dead = await eventually(async () => (await listDeadLetters(fx.js, fx.jsm)).find((x) => x.eventId === 'evt_restart'))
  t.equal(dead.attempts, 3)
})

t.test('retry.jitter 0.5 through the daemon: no retry earlier than its interval, and the waits spread over the band', async (t) => {
  const ep = await startEndpoint({ behaviour: { status: 503 } })
  t.teardown(() => ep.close())
  // sms: fixed backoff, so every scheduled wait is the interval (0.4 s), stretched by [1, 1.5].
  const fx = await createFixture({ profiles: [profile('jittery', `${ep.url}/j`, { retry: { count: 3, intervalSeconds: 0.4, jitter: 0.5 } })] })
  t.teardown(() => fx.close())
  await fx.start()
  const events = 8
  for (let i = 0; i < events; i++) await fx.publish('sms', 'sms-send', { id: `evt_j${i}`, account: 'acme', data })
  const reqs = await ep.waitFor(events * 4, 30_000)
  const waits: number[] = []
  for (let i = 0; i < events; i++) {
    const mine = reqs.filter((r) => r.headers['webhook-id'] === `evt_j${i}:jittery`)
    t.equal(mine.length, 4, `evt_j${i}: the first attempt and 3 retries`)
    // From the failed attempt's request (its answer came after) to the retry's request.
    for (let k = 1; k < mine.length; k++) waits.push(mine[k].startedAt - mine[k - 1].receivedAt)
  }
  t.comment(`waits (ms): ${waits.map((w) => Math.round(w)).sort((a, b) => a - b).join(' ')}`)
  t.ok(waits.every((w) => w >= 400), `no retry earlier than the 0.4 s interval (shortest ${Math.round(Math.min(...waits))} ms)`)
  // Uniform draws over [400, 600] ms: all 24 within 50 ms of each other, or fewer than 3 above the
  // band's middle, would each happen less than once in 50,000 runs. (Load only adds to a wait.)
  t.ok(Math.max(...waits) - Math.min(...waits) >= 50, `the waits spread (${Math.round(Math.min(...waits))} to ${Math.round(Math.max(...waits))} ms), not all equal`)
  t.ok(waits.filter((w) => w >= 500).length >= 3, `some waits are stretched past the band's middle (${waits.filter((w) => w >= 500).length} of ${waits.length} ≥ 500 ms)`)
})
