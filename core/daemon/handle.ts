// Handling one message: an event (route it, deliver it or fan it out as jobs) or a job
// (check it, wait for its time, deliver it), then carry out what the attempt's outcome
// (outcome.ts) decided: ack, publish the next job, or write a dead letter.
// A handler that throws leaves the message to the consumer loop (consume.ts).
import type { JsMsg } from 'nats'
import { formatMessage, type DeadLetterReason } from '../errors'
import type { CallbackEvent } from '../generated/event'
import { writeDeadLetter, type DeadLetterInput } from '../jetstream/dead-letters'
import { decodeJob, replayCycleOf, encodeJob, jobMsgId, jobSubject, type AttemptSummary, type Job } from '../jetstream/jobs'
import type { CompiledProfile } from '../render/compile'
import type { DaemonContext } from './context'
import { attemptSummary, decideOutcome } from './outcome'
import { defer, overflowing, parkUntilDue } from './park'
import { route } from './route'
import { serverAddressOf } from './trace-attrs'

export type Handler = (m: JsMsg) => Promise<void>

/** What a dead letter records besides its reason, detail and the message's bytes. */
export type DeadLetterFields = Omit<DeadLetterInput, 'reason' | 'detail' | 'data'>

const dec = new TextDecoder()

/** Writes a dead letter of the message, counts it and logs it (the caller acks). */
export async function deadLetter(ctx: DaemonContext, m: JsMsg, reason: DeadLetterReason, detail: string, fields: DeadLetterFields): Promise<void> {
  await writeDeadLetter(ctx.js, { reason, detail, data: m.data, ...fields }, { maxPayload: ctx.nc.info?.max_payload })
  ctx.metrics.deadLetters.inc({ reason })
  ctx.logger.warn({ reason, eventId: fields.eventId, profile: fields.profile, cycle: fields.cycle, attempts: fields.attempts.length, detail }, 'dead letter')
}

/** The dead-letter fields of a job's delivery (its msg id is one per event, profile and cycle). */
export function jobDeadLetterFields(job: Job, attempts: readonly AttemptSummary[] = job.attempts): DeadLetterFields {
  return { eventId: job.eventId, profile: job.profile, channel: job.channel, event: job.event, subject: job.subject, cycle: job.cycle, attempts, msgId: `${job.eventId}:${job.profile}:${job.cycle}:dead` }
}

/** One attempt, then what follows from it. */
export async function deliver(ctx: DaemonContext, m: JsMsg, compiled: CompiledProfile, envelope: CallbackEvent, job: Job): Promise<void> {
  // Endpoint health first: a profile whose breaker is open or that is paused holds its
  // deliveries on JetStream (health.ts); the one probe of an open breaker goes ahead.
  let admission = ctx.health.admit(job.profile)
  if (typeof admission !== 'string') admission = await admission
  if (admission === 'hold') return ctx.health.hold(m, job)
  const probe = admission === 'probe'
  const full = probe ? undefined : overflowing(ctx, job.profile)
  if (full) return defer(ctx, m, job, full)
  const { metrics, logger } = ctx
  metrics.attemptStarted()
  // ack_wait is set above twice the longest timeout, and the deliverer calls onWait while
  // a rate-limit slot is awaited; only an attempt whose timeout comes near ack_wait (a
  // reload raised it and the consumer update has not landed) needs a timer of its own.
  const ackWait = ctx.state.ackWaitMs
  const keepAlive = compiled.timeoutMs * 2 > ackWait ? setInterval(() => m.working(), Math.max(1000, ackWait / 3)) : undefined
  const startedAt = Date.now()
  const span = ctx.tracing.enabled
    ? ctx.tracing.attempt(job.trace, { profile: job.profile, channel: job.channel, event: job.event, attempt: job.attempt, method: compiled.profile.method ?? 'POST', serverAddress: serverAddressOf(compiled) })
    : undefined
  let result
  try {
    // Waiting for the profile's own rate-limit slot gives the process-wide slot back:
    // a profile at its maxConcurrent (a hanging endpoint) must not hold every slot and
    // stall the other tenants' events queued behind it.
    result = await ctx.deliverer.attempt(compiled, envelope, { event: job.event, channel: job.channel }, {
      onWait: () => { ctx.leases.get(m)?.(); m.working() },
      headers: span?.headers,
      beforeSend: () => ctx.health.allowSend(job.profile, probe),
      onSettled: (o) => ctx.health.settled(job.profile, o),
    })
  } catch (e) {
    span?.end({ status: null, error: 'internal error' })
    throw e
  } finally {
    if (keepAlive) clearInterval(keepAlive)
    metrics.attemptEnded()
  }
  span?.end({ status: result.status, error: result.ok ? null : (result.error ?? result.outcome) })
  // The breaker opened (or the profile paused) while this one waited for its slot: not sent.
  if (result.outcome === 'held') return ctx.health.hold(m, job)
  const finishedAt = Date.now()
  const summary = attemptSummary(job.attempt, result, startedAt)
  ctx.attemptLog.record({ eventId: job.eventId, profile: job.profile, cycle: job.cycle, ...summary })
  metrics.countDelivery(job.channel, job.event, result.outcome)
  metrics.attemptDuration.observe(result.latencyMs / 1000)
  let after = ctx.health.record(job.profile, result.outcome, result.status ?? null, probe)
  if (typeof after !== 'string') after = await after
  const outcome = decideOutcome({ result, summary, job, profile: compiled, policy: { maxRetryAfterSeconds: ctx.settings.delivery.maxRetryAfterSeconds }, now: finishedAt, health: { state: after, probe } })
  switch (outcome.kind) {
    case 'hold':
      logger.child({ profile: job.profile, eventId: job.eventId, attempt: job.attempt }).info({ status: result.status ?? null, error: summary.error, state: after, probe }, 'attempt failed; held while the endpoint is unhealthy')
      return ctx.health.hold(m, outcome.next)
    case 'ack':
      ctx.acks.ack(m)
      if (logger.isLevelEnabled('debug')) logger.debug({ profile: job.profile, eventId: job.eventId, attempt: job.attempt, status: result.status, latencyMs: summary.latencyMs }, 'delivered')
      return
    case 'dead':
      await deadLetter(ctx, m, outcome.reason, outcome.detail, jobDeadLetterFields(job, outcome.attempts))
      m.ack()
      return
    case 'retry': {
      const next = outcome.next
      await ctx.js.publish(jobSubject('retry', job.profile), m.data, { msgID: jobMsgId(next), headers: encodeJob(next) })
      metrics.retriesScheduled.inc()
      logger.child({ profile: job.profile, eventId: job.eventId, attempt: job.attempt }).info({ status: result.status ?? null, error: summary.error, retryInMs: outcome.delayMs }, 'attempt failed; retry scheduled')
      m.ack()
    }
  }
}

/** An event from CALLBACK_EVENTS: routed, then delivered (one profile) or fanned out as jobs. */
export function eventHandler(ctx: DaemonContext): Handler {
  const prefix = ctx.settings.nats.subjectPrefix
  const handle = routeAndDeliver(ctx, prefix)
  if (!ctx.tracing.enabled) return (m) => handle(m, undefined)
  return async (m) => {
    // The event span continues the publisher's trace (traceparent in the NATS headers);
    // its context travels in the jobs, so every attempt, retries included, joins it.
    const span = ctx.tracing.event((k) => m.headers?.get(k) || undefined, { channel: m.subject.slice(prefix.length + 1).split('.')[0] ?? '', event: m.subject.split('.').at(-1) ?? '', eventId: m.headers?.get('Nats-Msg-Id') || '' })
    let error: string | undefined
    try {
      await handle(m, span?.carrier)
    } catch (e) {
      error = (e as Error).message
      throw e
    } finally {
      span?.end(error)
    }
  }
}

function routeAndDeliver(ctx: DaemonContext, prefix: string): (m: JsMsg, trace: Record<string, string> | undefined) => Promise<void> {
  return async (m, trace) => {
    const r = route({ subject: m.subject, data: m.data, prefix, maxEventBytes: ctx.maxEventBytes }, ctx.store.snapshot, ctx.registry)
    const cycle = replayCycleOf(m)
    ctx.metrics.countReceived(r.channel, r.event)
    if (r.kind === 'dead') {
      ctx.metrics.eventsInvalid.inc({ reason: r.reason })
      await deadLetter(ctx, m, r.reason, r.detail, { eventId: r.eventId, profile: r.profile, channel: r.channel, event: r.event, subject: m.subject, cycle, attempts: [], msgId: `event:${m.seq}:${cycle}` })
      m.ack()
      return
    }
    const base = { eventId: r.eventId, channel: r.channel, event: r.event, subject: m.subject, cycle, attempt: 1, notBefore: 0, attempts: [], trace }
    if (r.profiles.length === 1) {
      const compiled = r.profiles[0]
      await deliver(ctx, m, compiled, r.envelope, { ...base, profile: compiled.profile.id })
      return
    }
    await Promise.all(
      r.profiles.map((p) => {
        const job: Job = { ...base, profile: p.profile.id }
        return ctx.js.publish(jobSubject('fresh', job.profile), m.data, { msgID: jobMsgId(job), headers: encodeJob(job) })
      }),
    )
    m.ack()
  }
}

/** A job from CALLBACK_JOBS (fan-out or retry): its profile must still be there, and its time come. */
export function jobHandler(ctx: DaemonContext): Handler {
  return async (m) => {
    const job = decodeJob(m.headers)
    const compiled = ctx.store.snapshot.byId(job.profile)
    if (!compiled || compiled.profile.enabled === false) {
      await deadLetter(ctx, m, 'profile_removed', formatMessage('profile_removed', job.profile), jobDeadLetterFields(job))
      m.ack()
      return
    }
    if (parkUntilDue(m, job)) return
    let envelope: CallbackEvent
    try {
      envelope = JSON.parse(dec.decode(m.data)) as CallbackEvent
    } catch (e) {
      await deadLetter(ctx, m, 'invalid_json', formatMessage('invalid_json', (e as Error).message), jobDeadLetterFields(job))
      m.ack()
      return
    }
    // A job is checked like an event: a job that anyone can publish on the jobs subjects
    // must not deliver one account's event with another account's profile.
    if ((envelope as Partial<CallbackEvent> | null)?.account !== compiled.profile.account) {
      await deadLetter(ctx, m, 'account_mismatch', formatMessage('account_mismatch', job.profile), jobDeadLetterFields(job))
      m.ack()
      return
    }
    await deliver(ctx, m, compiled, envelope, job)
  }
}
