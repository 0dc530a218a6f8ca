// What follows from one delivery attempt, as a pure function: the attempt's result, the
// job it made, the profile's retry rules and the time decide between an ack, the next job
// (with its not-before time) and a dead letter. No I/O, so every branch is unit-tested
// without NATS (test/outcome.test.ts); the daemon (handle.ts) carries the decision out.
import { formatMessage, type DeliveryCode } from '../errors'
import type { AttemptSummary, Job } from '../jetstream/jobs'
import type { DeliveryAttempt } from '../delivery/deliver'
import type { RetryPolicy } from '../plugin/contract'
import type { Profile } from '../generated/profile'
import { parseRetryAfter, planNextAttempt } from '../render/retry-policy'

/** What an attempt reports that the decision reads. */
export type AttemptOutcomeResult = Pick<DeliveryAttempt, 'ok' | 'outcome' | 'status' | 'error' | 'latencyMs' | 'refusedTarget'> & {
  /** Retry-After as received (a string), or already in seconds. */
  retryAfter?: string | number
}

/** What the decision reads of a profile (a CompiledProfile qualifies). */
export interface OutcomeProfile {
  readonly profile: Pick<Profile, 'retry' | 'endpoint'>
  readonly plugin: { readonly retry: RetryPolicy }
}

export interface OutcomePolicy {
  /** delivery.maxRetryAfterSeconds: the longest wait a receiver's Retry-After may ask for. */
  maxRetryAfterSeconds: number
}

export interface OutcomeInput {
  result: AttemptOutcomeResult
  /** This attempt as the attempt log records it (attemptSummary). */
  summary: AttemptSummary
  /** The job the attempt made. */
  job: Job
  profile: OutcomeProfile
  policy: OutcomePolicy
  /** Epoch ms when the attempt finished: the next attempt's wait counts from here. */
  now: number
  /**
   * The profile's health after this attempt was counted (breaker.ts): a failure while the
   * breaker is open or the profile paused is held, not retried; a failed probe keeps its
   * attempt number (a probe never uses up the event's retries). Omitted: closed.
   */
  health?: { state: 'closed' | 'open' | 'paused'; probe: boolean }
  /** The jitter's draw in [0, 1) (retry.jitter); default Math.random. */
  random?: () => number
}

/** Delivered: ack the message. */
export interface AckOutcome {
  kind: 'ack'
}

/** Failed, attempts left: publish `next` (not before `next.notBefore`), then ack. */
export interface RetryOutcome {
  kind: 'retry'
  next: Job
  delayMs: number
}

/** Never to be delivered: write a dead letter, then ack. */
export interface DeadOutcome {
  kind: 'dead'
  reason: DeliveryCode
  detail: string
  /** Every attempt of this cycle, this one included. */
  attempts: AttemptSummary[]
}

/**
 * Not to be attempted now: the profile's breaker is open or it is paused. `next` waits on
 * the profile's held subject until the breaker closes or the profile is resumed.
 */
export interface HoldOutcome {
  kind: 'hold'
  next: Job
}

/** Discriminated on `kind`, so a new decision is one more member. */
export type Outcome = AckOutcome | RetryOutcome | DeadOutcome | HoldOutcome

/** Statuses whose Retry-After is honoured (Too Many Requests, Service Unavailable). */
export const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503])

/** One attempt, compactly, for the attempt log and the next job's headers. */
export function attemptSummary(attempt: number, result: Pick<AttemptOutcomeResult, 'status' | 'error' | 'latencyMs'>, startedAt: number): AttemptSummary {
  return { attempt, at: isoTime(startedAt), status: result.status ?? null, error: result.error ?? null, latencyMs: Math.round(result.latencyMs) }
}

// `new Date(ms).toISOString()` of every attempt was 2 % of the daemon's CPU (bench
// profile); attempts of the same second share its text up to the milliseconds.
let isoSecond = Number.NaN
let isoPrefix = ''
const LAST_FOUR_DIGIT_YEAR_MS = 253402300799999

/** `new Date(ms).toISOString()`, the same text, cheaper for times close together. */
export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms <= LAST_FOUR_DIGIT_YEAR_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString()
  const second = Math.floor(ms / 1000)
  if (second !== isoSecond) {
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20)
    isoSecond = second
  }
  const milli = ms - second * 1000
  return `${isoPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`
}

export function decideOutcome(input: OutcomeInput): Outcome {
  const { result, job, profile, now } = input
  if (result.ok) return { kind: 'ack' }
  // Nothing was sent: the same job waits, its attempt number unchanged.
  if (result.outcome === 'held') return { kind: 'hold', next: job }
  const attempts = [...job.attempts, input.summary]
  if (result.outcome === 'refused') return { kind: 'dead', reason: 'address_refused', detail: formatMessage('address_refused', result.refusedTarget ?? result.error ?? profile.profile.endpoint), attempts }
  if (result.outcome === 'render_failed') return { kind: 'dead', reason: 'render_failed', detail: formatMessage('render_failed', result.error ?? ''), attempts }
  const health = input.health
  if (health && health.state !== 'closed') return { kind: 'hold', next: { ...job, attempt: health.probe ? job.attempt : job.attempt + 1, notBefore: 0, attempts } }
  const status = result.status ?? null
  const retryAfter = status !== null && RETRY_AFTER_STATUSES.has(status) ? retryAfterSeconds(result.retryAfter, now) : undefined
  const plan = planNextAttempt({ policy: profile.plugin.retry, retry: profile.profile.retry, failedAttempt: job.attempt, retryAfterSeconds: retryAfter, maxRetryAfterSeconds: input.policy.maxRetryAfterSeconds, random: input.random })
  if ('giveUp' in plan) return { kind: 'dead', reason: 'retries_exhausted', detail: formatMessage('retries_exhausted', result.error ?? `status ${status}`), attempts }
  return { kind: 'retry', next: { ...job, attempt: job.attempt + 1, notBefore: now + plan.delayMs, attempts }, delayMs: plan.delayMs }
}

function retryAfterSeconds(value: string | number | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number') return value
  return parseRetryAfter(value, nowMs)
}
