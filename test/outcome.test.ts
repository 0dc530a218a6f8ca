// The outcome of one attempt, every branch, without NATS: a table of (result, job, profile,
// policy, now) and the decision each must give.
import t from 'tap'
import { attemptSummary, decideOutcome, isoTime, RETRY_AFTER_STATUSES, type AttemptOutcomeResult, type Outcome, type OutcomeProfile } from '../core/daemon/outcome'
import type { Job } from '../core/jetstream/jobs'

const NOW = Date.parse('2026-01-01T12:00:00Z')
const sms: OutcomeProfile = { profile: { endpoint: 'https://hooks.example.com/sms' }, plugin: { retry: { maxRetries: 3, intervalSeconds: 10, backoff: 'fixed' } } }
const dflt: OutcomeProfile = { profile: { endpoint: 'https://hooks.example.com/any', retry: { count: 3, intervalSeconds: 60 } }, plugin: { retry: { maxRetries: 4, intervalSeconds: 60, backoff: 'exponential' } } }
const earlier = { attempt: 1, at: '2026-01-01T11:59:00.000Z', status: 500, error: 'status 500', latencyMs: 12 }

function job(attempt: number, attempts = attempt > 1 ? [earlier] : []): Job {
  return { eventId: 'ev-1', profile: 'p-1', channel: 'sms', event: 'sms-send', subject: 'callbacks.sms.sms-send', cycle: 1, attempt, notBefore: 0, attempts }
}

const ok: AttemptOutcomeResult = { ok: true, outcome: 'delivered', status: 200, error: null, latencyMs: 5 }
const failed = (status: number | null, error: string | null, retryAfter?: string | number): AttemptOutcomeResult => ({ ok: false, outcome: 'failed', status, error, latencyMs: 7, retryAfter })

interface Row {
  name: string
  result: AttemptOutcomeResult
  job?: Job
  profile?: OutcomeProfile
  maxRetryAfterSeconds?: number
  want: { kind: 'ack' } | { kind: 'retry'; delayMs: number; attempt: number } | { kind: 'dead'; reason: string; detail: string }
}

const table: Row[] = [
  { name: 'a 2xx is acked', result: ok, want: { kind: 'ack' } },
  { name: 'a 2xx on the last attempt is acked', result: ok, job: job(4), want: { kind: 'ack' } },
  { name: 'a refused address is a dead letter at once, naming the refusal', result: { ok: false, outcome: 'refused', status: null, error: 'host 10.0.0.1 is not allowed', latencyMs: 1 }, want: { kind: 'dead', reason: 'address_refused', detail: 'the network policy refused host 10.0.0.1 is not allowed' } },
  { name: 'a refusal without an error names the endpoint', result: { ok: false, outcome: 'refused', status: null, error: null, latencyMs: 1 }, want: { kind: 'dead', reason: 'address_refused', detail: 'the network policy refused https://hooks.example.com/sms' } },
  { name: 'a render failure is a dead letter at once', result: { ok: false, outcome: 'render_failed', status: null, error: 'header X holds a CR', latencyMs: 0 }, want: { kind: 'dead', reason: 'render_failed', detail: 'the request could not be rendered: header X holds a CR' } },
  { name: 'a render failure without an error', result: { ok: false, outcome: 'render_failed', status: null, error: null, latencyMs: 0 }, want: { kind: 'dead', reason: 'render_failed', detail: 'the request could not be rendered: ' } },
  { name: 'a 500 on the first attempt retries after the channel interval', result: failed(500, 'status 500'), want: { kind: 'retry', delayMs: 10_000, attempt: 2 } },
  { name: 'a timeout (no status) retries', result: failed(null, 'timeout'), job: job(2), want: { kind: 'retry', delayMs: 10_000, attempt: 3 } },
  { name: 'exponential backoff doubles per failure', result: failed(502, 'status 502'), job: job(3), profile: dflt, want: { kind: 'retry', delayMs: 240_000, attempt: 4 } },
  { name: 'the last attempt failing exhausts the retries with the last error', result: failed(500, 'status 500'), job: job(4), want: { kind: 'dead', reason: 'retries_exhausted', detail: 'every attempt failed; last: status 500' } },
  { name: 'exhausted without an error names the status', result: failed(404, null), job: job(4), want: { kind: 'dead', reason: 'retries_exhausted', detail: 'every attempt failed; last: status 404' } },
  { name: 'a 429 with a longer Retry-After (seconds) waits that long', result: failed(429, 'status 429', '120'), want: { kind: 'retry', delayMs: 120_000, attempt: 2 } },
  { name: 'a 503 with a Retry-After HTTP-date waits until then', result: failed(503, 'status 503', new Date(NOW + 90_000).toUTCString()), want: { kind: 'retry', delayMs: 90_000, attempt: 2 } },
  { name: 'a Retry-After already in seconds (a number) counts too', result: failed(429, 'status 429', 45), want: { kind: 'retry', delayMs: 45_000, attempt: 2 } },
  { name: 'a Retry-After shorter than the interval keeps the interval', result: failed(429, 'status 429', '2'), want: { kind: 'retry', delayMs: 10_000, attempt: 2 } },
  { name: 'a Retry-After is capped at maxRetryAfterSeconds', result: failed(503, 'status 503', '86400'), maxRetryAfterSeconds: 600, want: { kind: 'retry', delayMs: 600_000, attempt: 2 } },
  { name: 'an unreadable Retry-After is ignored', result: failed(429, 'status 429', 'soon'), want: { kind: 'retry', delayMs: 10_000, attempt: 2 } },
  { name: 'a Retry-After on another status (500) is ignored', result: failed(500, 'status 500', '120'), want: { kind: 'retry', delayMs: 10_000, attempt: 2 } },
  { name: 'a Retry-After on a timeout (no status) is ignored', result: failed(null, 'timeout', '120'), want: { kind: 'retry', delayMs: 10_000, attempt: 2 } },
  { name: 'a Retry-After does not add attempts beyond the last', result: failed(429, 'status 429', '60'), job: job(4), want: { kind: 'dead', reason: 'retries_exhausted', detail: 'every attempt failed; last: status 429' } },
]

for (const row of table) {
  t.test(row.name, async (t) => {
    const j = row.job ?? job(1)
    const startedAt = NOW - row.result.latencyMs
    const summary = attemptSummary(j.attempt, row.result, startedAt)
    const out: Outcome = decideOutcome({ result: row.result, summary, job: j, profile: row.profile ?? sms, policy: { maxRetryAfterSeconds: row.maxRetryAfterSeconds ?? 3600 }, now: NOW, random: () => 0 })
    t.equal(out.kind, row.want.kind)
    const want = row.want
    if (out.kind === 'retry' && want.kind === 'retry') {
      t.equal(out.delayMs, want.delayMs)
      // The next job: one attempt on, not before now + the delay, this attempt appended.
      t.same(out.next, { ...j, attempt: want.attempt, notBefore: NOW + want.delayMs, attempts: [...j.attempts, summary] })
    }
    if (out.kind === 'dead' && want.kind === 'dead') {
      t.equal(out.reason, want.reason)
      t.equal(out.detail, want.detail)
      t.same(out.attempts, [...j.attempts, summary], 'every attempt of the cycle, this one last')
    }
  })
}

t.test('the summary of an attempt: its number, start time, status, error and rounded latency', async (t) => {
  t.same(attemptSummary(3, { status: 503, error: 'status 503', latencyMs: 12.6 }, NOW), { attempt: 3, at: '2026-01-01T12:00:00.000Z', status: 503, error: 'status 503', latencyMs: 13 })
  t.same(attemptSummary(1, { status: null, error: null, latencyMs: 0.2 }, NOW), { attempt: 1, at: '2026-01-01T12:00:00.000Z', status: null, error: null, latencyMs: 0 })
})

t.test('isoTime is toISOString: every millisecond of a second, second and year boundaries, in any order, and out of range', async (t) => {
  const base = Date.parse('2026-12-31T23:59:59.000Z')
  const times = [base, base + 1, base + 9, base + 10, base + 99, base + 100, base + 999, base + 1000, base - 1, 0, 1, 999, 1000]
  for (let i = 0; i < 2000; i++) times.push(Math.floor(Math.random() * 4102444800000))
  times.push(253402300799999, 253402300800000, -1, -62198755200000, 1.5, 8.64e15)
  const wrong = times.filter((ms) => isoTime(ms) !== new Date(ms).toISOString())
  t.same(wrong, [], 'every time gives the same text as toISOString')
  t.throws(() => isoTime(Number.NaN), RangeError, 'an invalid time throws as toISOString does')
})

t.test('Retry-After counts for 429 and 503 only', async (t) => {
  t.same([...RETRY_AFTER_STATUSES].sort(), [429, 503])
})

t.test('the decision is pure: the same input gives the same output and leaves the job as it was', async (t) => {
  const j = job(2)
  const copy = structuredClone(j)
  const input = { result: failed(500, 'status 500'), summary: attemptSummary(2, failed(500, 'status 500'), NOW), job: j, profile: sms, policy: { maxRetryAfterSeconds: 3600 }, now: NOW }
  t.same(decideOutcome(input), decideOutcome(input))
  t.same(j, copy)
})

t.test('endpoint health: a failure that leaves the breaker open or the profile paused is held, not retried', async (t) => {
  const j = job(2)
  const summary = attemptSummary(2, failed(500, 'status 500'), NOW)
  const base = { result: failed(500, 'status 500'), summary, job: j, profile: sms, policy: { maxRetryAfterSeconds: 3600 }, now: NOW }
  t.same(decideOutcome({ ...base, health: { state: 'open', probe: false } }), { kind: 'hold', next: { ...j, attempt: 3, notBefore: 0, attempts: [...j.attempts, summary] } }, 'the attempt counts; the next one waits held')
  t.same(decideOutcome({ ...base, health: { state: 'open', probe: true } }), { kind: 'hold', next: { ...j, attempt: 2, notBefore: 0, attempts: [...j.attempts, summary] } }, 'a failed probe keeps its attempt number: probes never use up retries')
  t.same(decideOutcome({ ...base, health: { state: 'paused', probe: false } }).kind, 'hold', 'paused (410 Gone): held')
  const last = { ...base, job: job(4), summary: attemptSummary(4, failed(500, 'status 500'), NOW) }
  t.equal(decideOutcome({ ...last, health: { state: 'open', probe: false } }).kind, 'hold', 'the last attempt failing as the breaker opens is held, not a dead letter')
  t.equal(decideOutcome({ ...last, health: { state: 'closed', probe: false } }).kind, 'dead', 'closed: the retry rules as before')
  t.equal(decideOutcome({ ...base, result: ok, health: { state: 'open', probe: true } }).kind, 'ack', 'a 2xx is acked whatever the state')
  t.equal(decideOutcome({ ...base, result: { ok: false, outcome: 'refused', status: null, error: 'x', latencyMs: 1 }, health: { state: 'open', probe: false } }).kind, 'dead', 'a refused address is a dead letter even while open')
})

t.test('a delivery the breaker stopped before sending (outcome held) waits with its job unchanged', async (t) => {
  const j = job(3)
  const held: AttemptOutcomeResult = { ok: false, outcome: 'held', status: null, error: null, latencyMs: 0 }
  t.same(decideOutcome({ result: held, summary: attemptSummary(3, held, NOW), job: j, profile: sms, policy: { maxRetryAfterSeconds: 3600 }, now: NOW }), { kind: 'hold', next: j })
})
