// Held deliveries (DESIGN "Endpoint health"): while a profile's breaker is open or it is
// paused, its due deliveries wait on callback-router.jobs.held.<profile> in CALLBACK_JOBS,
// a subject no always-on consumer reads. They cost nothing while they wait (no redelivery,
// no nak churn, no place in any consumer's max_ack_pending), so 100,000 held events of one
// profile slow no one else. Release moves them to the retry subject (which delivers them
// at the profile's rate); a held event older than holdHours becomes a held_expired dead
// letter. Every move publishes first and acks after, with a msg id derived from the source
// message: a crash in between stores the copy once.
import { AckPolicy, DeliverPolicy, nanos, type Consumer, type JetStreamClient, type JetStreamManager, type JsMsg, type MsgHdrs } from 'nats'
import { formatMessage } from '../errors'
import { decodeJob, encodeJob, jobSubject, type Job } from './jobs'
import { writeDeadLetter } from './dead-letters'
import { STREAMS, SUBJECTS } from './streams'

/** Epoch ms when a delivery was first held; travels with it through releases and re-holds. */
export const HELD_SINCE = 'CR-Held-Since'

export function heldSubject(profile: string): string {
  return `${SUBJECTS.heldJobs}.${profile}`
}

/** The durable consumer that releases one profile's held deliveries (shared by every daemon). */
export function heldConsumer(profile: string): string {
  return `held-${profile}`
}

function withHeldSince(job: Job, since: number): MsgHdrs {
  const h = encodeJob(job)
  h.set(HELD_SINCE, String(since))
  return h
}

/** When `m` was first held, or undefined when it never was. */
export function heldSince(m: { headers?: MsgHdrs }): number | undefined {
  const v = Number(m.headers?.get(HELD_SINCE))
  return Number.isFinite(v) && v > 0 ? v : undefined
}

/**
 * Parks `m` (an event, a fresh job or a retry) as held `job`, then acks it. The msg id
 * names the source message (stream and sequence): the same source held twice after a
 * crash is stored once, while a delivery held, released and held again is a new message.
 */
export async function holdJob(js: JetStreamClient, m: JsMsg, job: Job, now = Date.now()): Promise<void> {
  const since = heldSince(m) ?? now
  await js.publish(heldSubject(job.profile), m.data, { msgID: `held:${m.info.stream}:${m.seq}`, headers: withHeldSince({ ...job, notBefore: 0 }, since) })
  m.ack()
}

async function ensureHeldConsumer(jsm: JetStreamManager, profile: string): Promise<void> {
  const name = heldConsumer(profile)
  try {
    await jsm.consumers.info(STREAMS.jobs, name)
  } catch {
    // Unused for an hour, it goes away by itself; the held messages stay in the stream.
    await jsm.consumers.add(STREAMS.jobs, { durable_name: name, filter_subject: heldSubject(profile), ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_deliver: -1, ack_wait: nanos(30_000), inactive_threshold: nanos(3_600_000) })
  }
}

/**
 * Moves up to `max` held deliveries of `profile` to its retry subject, due now; resolves
 * to how many moved. `keepGoing` is asked between batches (false: the profile was paused
 * again, or the daemon stops). Several daemons may release at once: they share the durable.
 */
export async function releaseHeld(js: JetStreamClient, jsm: JetStreamManager, profile: string, max: number, keepGoing: () => boolean): Promise<number> {
  await ensureHeldConsumer(jsm, profile)
  const consumer = await js.consumers.get(STREAMS.jobs, heldConsumer(profile))
  let moved = 0
  while (moved < max && keepGoing()) {
    const batch = await consumer.fetch({ max_messages: Math.min(256, max - moved), expires: 1000 })
    const pending: Array<Promise<void>> = []
    for await (const m of batch) {
      pending.push(
        (async () => {
          const job = decodeJob(m.headers)
          await js.publish(jobSubject('retry', profile), m.data, { msgID: `released:${m.seq}`, headers: withHeldSince({ ...job, notBefore: 0 }, heldSince(m) ?? Date.now()) })
          m.ack()
        })(),
      )
    }
    if (pending.length === 0) break
    await Promise.all(pending)
    moved += pending.length
  }
  return moved
}

/** Held deliveries per profile (from the stream's per-subject counts: one request for all). */
export async function heldCounts(jsm: JetStreamManager): Promise<Map<string, number>> {
  const info = await jsm.streams.info(STREAMS.jobs, { subjects_filter: `${SUBJECTS.heldJobs}.>` })
  const out = new Map<string, number>()
  for (const [subject, n] of Object.entries(info.state.subjects ?? {})) out.set(subject.slice(SUBJECTS.heldJobs.length + 1), n)
  return out
}

/**
 * Turns the held deliveries of `profile` first held before `cutoff` into held_expired dead
 * letters, oldest first (held order), stopping at the first younger one (given straight
 * back); resolves to how many expired. Only called while the profile is not closed, when
 * nothing releases them. One at a time through the profile's durable: a work-queue stream
 * allows no second consumer on the subject, and expiry is rare. A failure partway (NATS
 * away) still reports the ones already expired, with the error: their ops event and count
 * must not be lost with it.
 */
export async function expireHeld(js: JetStreamClient, jsm: JetStreamManager, profile: string, cutoff: number, detail: { holdHours: number; state: string }): Promise<{ expired: number; error?: unknown }> {
  let expired = 0
  try {
    await ensureHeldConsumer(jsm, profile)
    const consumer = await js.consumers.get(STREAMS.jobs, heldConsumer(profile))
    while (await expireOne(js, consumer, profile, cutoff, detail)) expired++
    return { expired }
  } catch (error) {
    return { expired, error }
  }
}

/** The oldest held delivery, if held before `cutoff`, as a dead letter; false when there is none. */
async function expireOne(js: JetStreamClient, consumer: Consumer, profile: string, cutoff: number, detail: { holdHours: number; state: string }): Promise<boolean> {
  const m = await consumer.next({ expires: 1000 })
  if (!m) return false
  const since = heldSince(m) ?? m.info.timestampNanos / 1e6
  if (since > cutoff) {
    m.nak()
    return false
  }
  const job = decodeJob(m.headers)
  await writeDeadLetter(js, {
    reason: 'held_expired',
    detail: formatMessage('held_expired', detail.holdHours, profile, detail.state),
    eventId: job.eventId,
    profile,
    channel: job.channel,
    event: job.event,
    subject: job.subject,
    cycle: job.cycle,
    attempts: job.attempts,
    data: m.data,
    msgId: `${job.eventId}:${profile}:${job.cycle}:held_expired:${m.seq}`,
  })
  m.ack()
  return true
}
