// When to try again: a pure function of the channel's policy, the profile's `retry`,
// the attempt that just failed and the receiver's Retry-After.
import type { Profile } from '../generated/profile'
import type { RetryPolicy } from '../plugin/contract'

export const DEFAULT_TIMEOUT_MS = 5000
export const MAX_TIMEOUT_MS = 60000

export interface EffectiveRetry {
  /** Retries after the first attempt. */
  count: number
  intervalSeconds: number
  backoff: RetryPolicy['backoff']
  timeoutMs: number
  /** Each wait is stretched by a random factor in [1, 1 + jitter]. */
  jitter: number
}

/**
 * The profile's retry settings over the channel's: `retry` omitted means the channel's
 * standard policy; a count above the channel's cap is held at the cap.
 */
export function effectiveRetry(policy: RetryPolicy, retry?: Profile['retry'], defaultTimeoutMs = DEFAULT_TIMEOUT_MS): EffectiveRetry {
  const count = Math.max(0, Math.min(retry?.count ?? policy.maxRetries, policy.maxRetries))
  const interval = retry?.intervalSeconds
  return {
    count,
    intervalSeconds: interval !== undefined && interval > 0 ? interval : policy.intervalSeconds,
    backoff: policy.backoff,
    timeoutMs: Math.min(retry?.timeoutMs ?? defaultTimeoutMs, MAX_TIMEOUT_MS),
    jitter: Math.max(0, Math.min(1, retry?.jitter ?? (policy.backoff === 'exponential' ? 0.2 : 0))),
  }
}

export interface PlanInput {
  policy: RetryPolicy
  retry?: Profile['retry']
  /** The attempt that failed: 1 is the first attempt. */
  failedAttempt: number
  /** The receiver's Retry-After (see parseRetryAfter), when the status lets it count (429, 503). */
  retryAfterSeconds?: number
  maxRetryAfterSeconds: number
  /** A number in [0, 1) for the jitter; default Math.random (tests pass their own). */
  random?: () => number
}

export type Plan = { delayMs: number } | { giveUp: true }

/**
 * The wait before the next attempt, counted from the failed one, or give up after the
 * last. Fixed: the interval every time. Exponential: interval × 2^k after the k-th
 * failure (k from 0), so 60 s with 3 retries fires at 60, 180 and 420 s. Jitter only
 * lengthens the wait (×[1, 1 + jitter]): a receiver that asked for 60 s never sees a retry
 * earlier, and the retries of a burst of failures spread out instead of arriving together.
 * A longer Retry-After wins, capped at maxRetryAfterSeconds.
 */
export function planNextAttempt(input: PlanInput): Plan {
  const eff = effectiveRetry(input.policy, input.retry)
  if (!(input.failedAttempt >= 1) || input.failedAttempt > eff.count) return { giveUp: true }
  const k = input.failedAttempt - 1
  const scheduled = eff.intervalSeconds * 1000 * (eff.backoff === 'exponential' ? 2 ** k : 1)
  let delayMs = eff.jitter > 0 ? scheduled * (1 + eff.jitter * (input.random ?? Math.random)()) : scheduled
  const ra = input.retryAfterSeconds
  if (ra !== undefined && Number.isFinite(ra) && ra > 0) {
    const capped = Math.min(ra, Math.max(0, input.maxRetryAfterSeconds)) * 1000
    if (capped > delayMs) delayMs = capped
  }
  return { delayMs: Math.round(delayMs) }
}

/**
 * Retry-After in seconds: delay-seconds, or an HTTP-date (a date in the past counts as
 * 0). undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined
  const v = value.trim()
  if (v === '') return undefined
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v)
  // An HTTP-date always names the weekday or month in letters; this keeps Date.parse
  // from reading stray numbers ("-5", "1e3") as dates.
  if (!/[A-Za-z]/.test(v)) return undefined
  const at = Date.parse(v)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, Math.ceil((at - nowMs) / 1000))
}
