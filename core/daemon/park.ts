// Parking: messages that must wait, and wait in JetStream rather than in this process.
//   - a retry fetched before its not-before time is nak'd with the time left (capped);
//   - an overflowing profile's delivery (its endpoint hangs at maxConcurrent, or events
//     arrive far above its perSecond) moves to the retry consumer (no pending limit,
//     JetStream's store), so the events consumer's max_ack_pending stays free for the
//     other tenants and memory stays flat. Not an attempt: the attempt number is unchanged.
import type { JsMsg } from 'nats'
import { encodeJob, jobMsgId, jobSubject, type Job } from '../jetstream/jobs'
import { SUBJECTS } from '../jetstream/streams'
import type { DaemonContext } from './context'
import type { RateLimiter } from '../delivery/rate-limit'

/**
 * Most of a nak delay: a parked retry is looked at again at least this often (a removed
 * profile's dead letter comes at the latest then). Every look is a redelivery and a nak:
 * with 100,000 retries parked, 30 s kept nats-server at 60 % of a core and the daemon at
 * 17 % (npm run bench -- --backlog); 5 minutes is a tenth of that churn.
 */
export const MAX_PARK_MS = 300_000
/** How long an overflowing profile's event waits on the retry consumer before it is looked at again. */
const MIN_DEFER_MS = 1000
const MAX_DEFER_MS = 30_000
/** A retry fetched within this much of its time is attempted at once. */
const EARLY_TOLERANCE_MS = 2

/** Deliveries of one profile that may wait in memory for its rate-limit slot (about two seconds' worth). */
export function overflowThreshold(limits: { perSecond: number; maxConcurrent: number }): number {
  return Math.max(16, 2 * limits.maxConcurrent, Math.ceil(2 * limits.perSecond))
}

/** Naks a job fetched before its time (true), or false when it is due. */
export function parkUntilDue(m: JsMsg, job: Job, now = Date.now()): boolean {
  const wait = job.notBefore - now
  if (wait <= EARLY_TOLERANCE_MS) return false
  m.nak(Math.min(wait, MAX_PARK_MS))
  return true
}

/**
 * The profile's limiter when its queue in memory is full, else undefined (asked before every
 * delivery, so without a promise).
 */
export function overflowing(ctx: DaemonContext, profile: string): RateLimiter | undefined {
  const limiter = ctx.deliverer.limiterOf(profile)
  return limiter !== undefined && limiter.waiting >= overflowThreshold(limiter.limits) ? limiter : undefined
}

/** Moves the delivery of an overflowing profile (its `limiter`) to the retry consumer. */
export async function defer(ctx: DaemonContext, m: JsMsg, job: Job, limiter: RateLimiter): Promise<void> {
  const delayMs = Math.min(MAX_DEFER_MS, Math.max(MIN_DEFER_MS, Math.ceil((limiter.waiting / limiter.limits.perSecond) * 1000)))
  ctx.metrics.deferred.inc()
  if (m.subject.startsWith(`${SUBJECTS.retryJobs}.`)) {
    m.nak(delayMs)
    return
  }
  const parked: Job = { ...job, notBefore: Date.now() + delayMs }
  await ctx.js.publish(jobSubject('retry', job.profile), m.data, { msgID: `${jobMsgId(job)}:deferred`, headers: encodeJob(parked) })
  m.ack()
}
