import t from 'tap'
import { createFixture, profile } from './helpers/daemon-fixture'
import { startEndpoint } from './helpers/endpoint'
import { readAttempts } from '../core/jetstream/attempt-log'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const data = (id: string) => ({ id, to: '+15550100', status: 'Delivered', description: 'ok' })

t.test('a profile with a full queue parks further events on the retry consumer, not in memory; other tenants flow and nothing is lost', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  ep.setBehaviour({ delayMs: 200 }, '/slow')
  // At most one request in flight at 200 ms each: about 5/s, so 40 events queue up.
  // Its overflow threshold is max(16, 2 x 1, 2 x 5) = 16 waiting deliveries.
  const slow = profile('slow', `${ep.url}/slow`, { rateLimit: { perSecond: 5, maxConcurrent: 1 }, retry: { count: 0 } })
  const fast = profile('fast', `${ep.url}/fast`, { account: 'other' })
  const fx = await createFixture({ profiles: [slow, fast] })
  t.teardown(() => fx.close())
  const daemon = await fx.start()

  const SLOW = 40
  const FAST = 100
  const count = (path: string) => new Set(ep.requests.filter((r) => r.pathname === path).map((r) => String(r.headers['webhook-id']))).size
  await Promise.all(Array.from({ length: SLOW }, (_, i) => fx.publish('sms', 'sms-send', { id: `slow-${i}`, account: 'acme', profile: 'slow', data: data(`m${i}`) })))
  // With only the slow profile's events about, no more of them wait in the daemon's memory
  // than the overflow threshold: the rest were handed to the retry consumer. (The events
  // consumer's ack-pending count is not the measure: it also holds what one pull handed over
  // and the acks of a busy moment, 25 at a load of 12.) Sampled while the backlog lasts.
  let maxWaiting = 0
  const waitingNow = async () => (await daemon.metrics.getSingleMetric('callback_router_deliveries_waiting')?.get())?.values[0]?.value ?? 0
  for (let i = 0; i < 20; i++) {
    maxWaiting = Math.max(maxWaiting, await waitingNow())
    await sleep(100)
  }
  t.ok(count('/slow') < SLOW, 'the slow profile still has a backlog')

  await Promise.all(Array.from({ length: FAST }, (_, i) => fx.publish('sms', 'sms-send', { id: `fast-${i}`, account: 'other', data: data(`f${i}`) })))
  const deadline = Date.now() + 90_000
  let slowWhenFastDone = -1
  while (Date.now() < deadline && count('/slow') < SLOW) {
    if (slowWhenFastDone < 0 && count('/fast') === FAST) slowWhenFastDone = count('/slow')
    await sleep(100)
  }
  if (slowWhenFastDone < 0 && count('/fast') === FAST) slowWhenFastDone = count('/slow')
  t.equal(count('/fast'), FAST, 'every event of the other tenant was delivered')
  t.ok(slowWhenFastDone >= 0 && slowWhenFastDone < SLOW, `the other tenant finished while the slow profile still had a backlog (slow delivered then: ${slowWhenFastDone})`)
  t.equal(count('/slow'), SLOW, 'every event of the slow profile was delivered')
  t.equal(ep.requests.filter((r) => r.pathname === '/slow').length, SLOW, 'each exactly once')
  t.ok(maxWaiting > 0 && maxWaiting <= 16, `at most the overflow threshold (16) waited in memory for the slow profile's slot (max ${maxWaiting})`)

  const metrics = await daemon.metrics.getSingleMetricAsString('callback_router_deliveries_deferred_total')
  const deferred = Number(/callback_router_deliveries_deferred_total (\d+)/.exec(metrics)?.[1] ?? 0)
  t.ok(deferred > 0, `deliveries were deferred (${deferred})`)
  // Deferral is not an attempt: every slow event has exactly one attempt, number 1.
  await sleep(500) // the attempt log is written in batches
  for (const id of ['slow-0', 'slow-39']) {
    const attempts = await readAttempts(fx.js, fx.jsm, id)
    t.same(attempts.map((a) => [a.profile, a.attempt]), [['slow', 1]], `${id}: one attempt, number 1`)
  }
})
