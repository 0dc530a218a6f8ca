import t from 'tap'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createDispatcher } from '../core/delivery/dispatcher'
import { sendAttempt } from '../core/delivery/http-attempt'
import { createRateLimiter } from '../core/delivery/rate-limit'
import { startEndpoint } from './helpers/endpoint'
import { maxInWindow } from './helpers/windows'

t.test('with a manual clock: perSecond starts per sliding window, then the oldest must age out', async (t) => {
  let clock = 0
  const limiter = createRateLimiter({ perSecond: 3, maxConcurrent: 100 }, { now: () => clock, guardMs: 0 })
  const start = (): boolean => {
    const r = limiter.tryAcquire()
    r?.started()
    return r !== null
  }
  t.ok(start() && start(), 'two starts at t=0')
  clock = 400
  t.ok(start(), 'a third at 400')
  t.notOk(start(), 'a fourth within the same second is refused')
  clock = 999
  t.notOk(start(), 'still inside the window of the first start')
  clock = 1000
  t.ok(start() && start(), 'one second after the first starts, two more may start')
  t.notOk(start(), 'and only two: the next start came at 400')
  clock = 1400
  t.ok(start())
  t.notOk(start())
})

t.test('a slot counts from when the request really started, not from its grant', async (t) => {
  let clock = 0
  const limiter = createRateLimiter({ perSecond: 1, maxConcurrent: 10 }, { now: () => clock, guardMs: 0 })
  const slow = limiter.tryAcquire()
  t.not(slow, null)
  clock = 1500
  t.equal(limiter.tryAcquire(), null, 'an unstamped slot blocks the next one (its connect is still going on)')
  slow?.started()
  t.equal(limiter.tryAcquire(), null, 'stamped at 1500: the window runs from there')
  clock = 2500
  t.not(limiter.tryAcquire(), null)
})

t.test('a slot released unstamped counts from its grant time', async (t) => {
  let clock = 0
  const limiter = createRateLimiter({ perSecond: 1, maxConcurrent: 10 }, { now: () => clock, guardMs: 0 })
  const refused = limiter.tryAcquire()
  clock = 300
  refused?.()
  t.equal(limiter.tryAcquire(), null)
  clock = 1000
  t.not(limiter.tryAcquire(), null)
})

t.test('a fractional perSecond spaces starts over a longer window', async (t) => {
  let clock = 0
  const limiter = createRateLimiter({ perSecond: 0.5, maxConcurrent: 10 }, { now: () => clock, guardMs: 0 })
  limiter.tryAcquire()?.started()
  clock = 1999
  t.equal(limiter.tryAcquire(), null)
  clock = 2000
  t.not(limiter.tryAcquire(), null)
})

t.test('maxConcurrent slots are held until released; a double release frees one slot only', async (t) => {
  const limiter = createRateLimiter({ perSecond: 1000, maxConcurrent: 2 })
  const a = limiter.tryAcquire()
  const b = limiter.tryAcquire()
  t.equal(limiter.tryAcquire(), null)
  t.equal(limiter.inFlight, 2)
  a?.()
  a?.()
  t.equal(limiter.inFlight, 1)
  const c = limiter.tryAcquire()
  t.not(c, null)
  t.equal(limiter.tryAcquire(), null)
  b?.()
  c?.()
  t.equal(limiter.inFlight, 0)
})

t.test('waiters are served in FIFO order and onWait is called while they wait', async (t) => {
  const limiter = createRateLimiter({ perSecond: 1000, maxConcurrent: 1 }, { waitTickMs: 20 })
  const first = await limiter.acquire()
  const order: number[] = []
  let waits = 0
  const p1 = limiter.acquire(() => waits++).then((r) => {
    order.push(1)
    return r
  })
  const p2 = limiter.acquire().then((r) => {
    order.push(2)
    return r
  })
  t.equal(limiter.waiting, 2)
  t.equal(limiter.tryAcquire(), null, 'no jumping the queue')
  await new Promise((r) => setTimeout(r, 70))
  t.ok(waits >= 2, `onWait called at once and on ticks (${waits})`)
  first()
  const r1 = await p1
  r1()
  const r2 = await p2
  r2()
  t.same(order, [1, 2])
  t.equal(limiter.waiting, 0)
})

t.test('invalid limits are refused', async (t) => {
  t.throws(() => createRateLimiter({ perSecond: 0, maxConcurrent: 1 }), RangeError)
  t.throws(() => createRateLimiter({ perSecond: 1, maxConcurrent: 0 }), RangeError)
})

const dispatcher = createDispatcher({ allow: ['127.0.0.0/8'] })
t.teardown(() => dispatcher.close())

async function run(limits: { perSecond: number; maxConcurrent: number }, total: number, delayMs: number) {
  const ep = await startEndpoint({ behaviour: { delayMs } })
  // Warm the in-process server's code paths so a cold first request does not add its
  // JIT time to the measured arrival jitter.
  await sendAttempt({ method: 'GET', url: `${ep.url}/warm`, headers: {} }, { dispatcher, timeoutMs: 5000, maxResponseBytes: 64 })
  ep.reset()
  const limiter = createRateLimiter(limits)
  // The receiver reads a request when this process's event loop gets to it: the worst loop
  // delay of the run bounds how late an arrival can be stamped after its real start.
  const lag = monitorEventLoopDelay({ resolution: 1 })
  lag.enable()
  const sent: number[] = []
  const results = await Promise.all(
    Array.from({ length: total }, async (_, i) => {
      const release = limiter.tryAcquire() ?? (await limiter.acquire())
      const onStart = () => {
        sent.push(performance.now())
        release.started()
      }
      try {
        return await sendAttempt({ method: 'POST', url: `${ep.url}/r${i}`, headers: {} }, { dispatcher, timeoutMs: 5000, maxResponseBytes: 64, onStart })
      } finally {
        release()
      }
    }),
  )
  lag.disable()
  await ep.close()
  return { ep, results, sent, maxLagMs: lag.max / 1e6 }
}

t.test('against a real endpoint: no sliding second holds more than perSecond starts', async (t) => {
  // 25 quick requests at 10/s: the rate binds, concurrency does not.
  const { ep, results, sent, maxLagMs } = await run({ perSecond: 10, maxConcurrent: 5 }, 25, 5)
  t.ok(results.every((r) => r.ok))
  t.equal(sent.length, 25)
  t.ok(maxInWindow(sent, 1000) <= 10, `at most 10 requests written in any second (saw ${maxInWindow(sent, 1000)})`)
  const starts = ep.requests.map((r) => r.startedAt)
  t.equal(starts.length, 25)
  // Two starts 1 s apart arrive at least 1 s minus the worst loop delay apart.
  const window = Math.max(1, 1000 - maxLagMs)
  t.ok(maxInWindow(starts, window) <= 10, `at most 10 arrivals in any ${window.toFixed(0)} ms at the receiver (1 s less the worst loop delay; saw ${maxInWindow(starts, window)})`)
  t.ok(ep.maxInFlight <= 5)
  const span = Math.max(...starts) - Math.min(...starts)
  t.ok(span >= 2000, `25 starts at 10/s span at least two seconds (${span.toFixed(0)} ms)`)
})

t.test('against a real endpoint: never more than maxConcurrent in flight', async (t) => {
  // Slow answers at a generous rate: concurrency binds, the rate does not.
  const { ep, results } = await run({ perSecond: 1000, maxConcurrent: 3 }, 15, 100)
  t.ok(results.every((r) => r.ok))
  t.equal(ep.requests.length, 15)
  t.ok(ep.maxInFlight <= 3, `at most 3 in flight at the receiver (saw ${ep.maxInFlight})`)
  t.ok(maxInWindow(ep.requests.map((r) => r.startedAt), 1000) <= 1000)
})
