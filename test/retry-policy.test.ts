import t from 'tap'
import { effectiveRetry, parseRetryAfter, planNextAttempt, type Plan } from '../core/render/retry-policy'
import type { RetryPolicy } from '../core/plugin/contract'

const sms: RetryPolicy = { maxRetries: 3, intervalSeconds: 10, backoff: 'fixed' }
const dflt: RetryPolicy = { maxRetries: 4, intervalSeconds: 60, backoff: 'exponential' }
const cap = 3600

/** Every planned delay until give-up, in seconds. */
function schedule(policy: RetryPolicy, retry?: { count?: number; intervalSeconds?: number }): number[] {
  const out: number[] = []
  for (let attempt = 1; attempt < 100; attempt++) {
    // The jitter's draw pinned at 0: the schedule as planned (jitter has its own tests below).
    const p: Plan = planNextAttempt({ policy, retry, failedAttempt: attempt, maxRetryAfterSeconds: cap, random: () => 0 })
    if ('giveUp' in p) return out
    out.push(p.delayMs / 1000)
  }
  throw new Error('never gave up')
}

t.test("the reference page's table: count 3 at 60 s exponential fires 60, 180, 420 s after the first attempt", async (t) => {
  const delays = schedule(dflt, { count: 3, intervalSeconds: 60 })
  t.same(delays, [60, 120, 240])
  const cumulative = delays.map((_, i) => delays.slice(0, i + 1).reduce((a, b) => a + b, 0))
  t.same(cumulative, [60, 180, 420])
})

t.test('count 2 at 60 s exponential gives retries at 60 s and 180 s', async (t) => {
  t.same(schedule(dflt, { count: 2, intervalSeconds: 60 }), [60, 120])
})

t.test('retry omitted means the channel standard policy: its cap and its interval', async (t) => {
  t.same(schedule(sms), [10, 10, 10])
  t.same(schedule(dflt), [60, 120, 240, 480])
  t.same(effectiveRetry(sms), { count: 3, intervalSeconds: 10, backoff: 'fixed', timeoutMs: 5000, jitter: 0 })
})

t.test('fixed backoff waits the profile interval every time, fractional seconds included', async (t) => {
  t.same(schedule(sms, { count: 2, intervalSeconds: 0.25 }), [0.25, 0.25])
})

t.test('count 0 gives up after the first failure', async (t) => {
  t.same(planNextAttempt({ policy: sms, retry: { count: 0 }, failedAttempt: 1, maxRetryAfterSeconds: cap }), { giveUp: true })
})

t.test('a count above the channel cap is held at the cap', async (t) => {
  t.equal(effectiveRetry(sms, { count: 9 }).count, 3)
  t.same(schedule(sms, { count: 9 }), [10, 10, 10])
})

t.test('interval omitted in retry falls back to the channel interval; count alone is honoured', async (t) => {
  t.same(schedule(sms, { count: 1 }), [10])
})

t.test('timeoutMs defaults to 5000 (or the settings default) and is capped at 60000', async (t) => {
  t.equal(effectiveRetry(sms, {}).timeoutMs, 5000)
  t.equal(effectiveRetry(sms, undefined, 2500).timeoutMs, 2500)
  t.equal(effectiveRetry(sms, { timeoutMs: 1234 }).timeoutMs, 1234)
  t.equal(effectiveRetry(sms, { timeoutMs: 600000 }).timeoutMs, 60000)
})

t.test('Retry-After longer than the scheduled wait wins; shorter does not', async (t) => {
  t.same(planNextAttempt({ policy: sms, failedAttempt: 1, retryAfterSeconds: 30, maxRetryAfterSeconds: cap }), { delayMs: 30000 })
  t.same(planNextAttempt({ policy: sms, failedAttempt: 1, retryAfterSeconds: 3, maxRetryAfterSeconds: cap }), { delayMs: 10000 })
  t.same(planNextAttempt({ policy: sms, failedAttempt: 1, retryAfterSeconds: 0, maxRetryAfterSeconds: cap }), { delayMs: 10000 })
})

t.test('Retry-After is capped at maxRetryAfterSeconds', async (t) => {
  t.same(planNextAttempt({ policy: sms, failedAttempt: 2, retryAfterSeconds: 999999, maxRetryAfterSeconds: 120 }), { delayMs: 120000 })
})

t.test('Retry-After never revives a delivery whose retries are spent', async (t) => {
  t.same(planNextAttempt({ policy: sms, failedAttempt: 4, retryAfterSeconds: 5, maxRetryAfterSeconds: cap }), { giveUp: true })
})

t.test('parseRetryAfter reads delay-seconds', async (t) => {
  t.equal(parseRetryAfter('120', 0), 120)
  t.equal(parseRetryAfter(' 7 ', 0), 7)
  t.equal(parseRetryAfter('0', 0), 0)
})

t.test('parseRetryAfter reads an HTTP-date relative to now, and a past date counts as 0', async (t) => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')
  t.equal(parseRetryAfter('Wed, 21 Oct 2015 07:30:00 GMT', now), 120)
  t.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now + 500), 0)
  t.equal(parseRetryAfter('Tue, 20 Oct 2015 07:28:00 GMT', now), 0)
})

t.test('parseRetryAfter returns undefined for absent or unreadable values', async (t) => {
  for (const v of [undefined, '', '-5', 'soon', '1e3', 'Wed, 99 Foo 2015']) t.equal(parseRetryAfter(v, 0), undefined, String(v))
})

t.test('jitter defaults: 0 for fixed backoff, 0.2 for exponential; a profile may set 0 to 1', async (t) => {
  t.equal(effectiveRetry(sms).jitter, 0)
  t.equal(effectiveRetry(dflt).jitter, 0.2)
  t.equal(effectiveRetry(sms, { jitter: 0.5 }).jitter, 0.5)
  t.equal(effectiveRetry(dflt, { jitter: 0 }).jitter, 0)
})

t.test('jitter stretches each wait by a factor in [1, 1 + jitter]: never shorter than scheduled', async (t) => {
  const plan = (random: number, failedAttempt = 1): number => {
    const p = planNextAttempt({ policy: sms, retry: { jitter: 0.5 }, failedAttempt, maxRetryAfterSeconds: cap, random: () => random })
    if ('giveUp' in p) throw new Error('gave up')
    return p.delayMs
  }
  t.equal(plan(0), 10_000, 'the lowest draw is the scheduled wait')
  t.equal(plan(0.5), 12_500)
  t.equal(plan(0.999999), 15_000, 'the highest draw is 1 + jitter times the wait')
  const exp = planNextAttempt({ policy: dflt, failedAttempt: 3, maxRetryAfterSeconds: cap, random: () => 1 })
  t.same(exp, { delayMs: 240_000 * 1.2 }, 'exponential: the default 0.2 on top of interval × 2^k')
})

t.test('with jitter 0.5, many planned waits spread over the band and none is early', async (t) => {
  const delays: number[] = []
  for (let i = 0; i < 2000; i++) {
    const p = planNextAttempt({ policy: sms, retry: { intervalSeconds: 1, jitter: 0.5 }, failedAttempt: 1, maxRetryAfterSeconds: cap })
    if ('giveUp' in p) throw new Error('gave up')
    delays.push(p.delayMs)
  }
  t.ok(delays.every((d) => d >= 1000 && d <= 1500), 'every wait within [1 s, 1.5 s]')
  const quarters = [0, 0, 0, 0]
  for (const d of delays) quarters[Math.min(3, Math.floor((d - 1000) / 125))]++
  t.ok(quarters.every((n) => n > 300), `each quarter of the band holds waits: ${quarters.join(', ')}`)
})

t.test('a longer Retry-After still wins over a jittered wait; a shorter one does not shorten it', async (t) => {
  const p = planNextAttempt({ policy: sms, retry: { jitter: 0.5 }, failedAttempt: 1, retryAfterSeconds: 100, maxRetryAfterSeconds: cap, random: () => 0.5 })
  t.same(p, { delayMs: 100_000 })
  const q = planNextAttempt({ policy: sms, retry: { jitter: 0.5 }, failedAttempt: 1, retryAfterSeconds: 1, maxRetryAfterSeconds: cap, random: () => 0.5 })
  t.same(q, { delayMs: 12_500 })
})
