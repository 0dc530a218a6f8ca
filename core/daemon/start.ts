// The daemon: events on NATS in, callbacks out, nothing lost (DESIGN "Delivery pipeline").
//   CALLBACK_EVENTS ─ route ─┬─ one profile: delivered straight from the event (fast path)
//                            └─ fan-out: one fresh job per profile on CALLBACK_JOBS
//   a failed attempt: the next job (its not-before time in its headers) is published,
//   then the current message acked; the last failure, or one that is never retried,
//   becomes a dead letter. Every attempt goes to the attempt log, in batches.
// Three durable consumers (events, jobs, retries) share one pool of delivery slots.
import { watch, type FSWatcher } from 'node:fs'
import type { ConsumerMessages, JetStreamClient, JsMsg, NatsConnection } from 'nats'
import type { Registry } from 'prom-client'
import type { Dispatcher } from 'undici'
import { loadConfig, loadProfiles, type LoadedConfig } from '../config/settings'
import { formatDiagnostic } from '../diagnostics'
import { formatMessage, type DeadLetterReason } from '../errors'
import type { CallbackEvent } from '../generated/event'
import { AckBatch } from '../jetstream/ack-batch'
import { AttemptLog } from '../jetstream/attempt-log'
import { writeDeadLetter } from '../jetstream/dead-letters'
import { createDeliverer, type Deliverer } from '../delivery/deliver'
import { createDispatcher } from '../delivery/dispatcher'
import { H, decodeJob, encodeJob, jobMsgId, jobSubject, type AttemptSummary, type Job } from '../jetstream/jobs'
import { createLogger, type Logger } from '../logger'
import { createMetrics, type DaemonMetrics } from './metrics'
import { connectNats, maxEventBytes } from '../jetstream/connection'
import { buildSnapshot, ProfileStore, type ProfileSnapshot } from './profile-store'
import type { CompiledProfile } from '../render/compile'
import { parseRetryAfter, planNextAttempt } from '../render/retry-policy'
import { route } from './route'
import { CONSUMERS, STREAMS, SUBJECTS, ackWaitMs, ensureConsumers, ensureStreams } from '../jetstream/streams'
import { Slots } from '../delivery/slots'

export interface DaemonOptions {
  /** Settings file; default CALLBACK_ROUTER_CONFIG, then config/callback-router.json. */
  configFile?: string
  env?: NodeJS.ProcessEnv
  /** Overrides the settings' (and NATS_URL's) servers. */
  natsServers?: string[]
  logger?: Logger
  /** Watch profilesDir for changes (default true). */
  watchProfiles?: boolean
}

export interface ReadyState {
  ready: boolean
  checks: Record<string, boolean>
}

export interface Daemon {
  /** For /readyz: connected to NATS, consumers pulling, profiles loaded, not stopping. */
  ready(): ReadyState
  /** The Prometheus registry for /metrics. */
  metrics: Registry
  /** The settings and the profiles in use (the last good set). */
  config(): LoadedConfig
  /** Reloads the profiles; an invalid set is refused and the last good set stays. */
  reload(): Promise<{ ok: boolean; errors: string[] }>
  /** Stops pulling, lets in-flight deliveries finish (up to shutdownGraceSeconds), flushes the attempt log, closes NATS. */
  stop(): Promise<void>
  nc: NatsConnection
  /** Resolves when the daemon has stopped (by stop() or by losing NATS for good). */
  closed: Promise<void>
}

export class DaemonConfigError extends Error {
  readonly code = 'DAEMON_CONFIG'
  constructor(readonly lines: string[]) {
    super(`the configuration has errors:\n${lines.join('\n')}`)
  }
}

/**
 * Most of a nak delay: a parked retry is looked at again at least this often (a removed
 * profile's dead letter comes at the latest then). Every look is a redelivery and a nak:
 * with 100,000 retries parked, 30 s kept nats-server at 60 % of a core and the daemon at
 * 17 % (npm run bench -- --backlog); 5 minutes is a tenth of that churn.
 */
const MAX_PARK_MS = 300_000
/** How long an overflowing profile's event waits on the retry consumer before it is looked at again. */
const MIN_DEFER_MS = 1000
const MAX_DEFER_MS = 30_000

/** Deliveries of one profile that may wait in memory for its rate-limit slot (about two seconds' worth). */
export function overflowThreshold(limits: { perSecond: number; maxConcurrent: number }): number {
  return Math.max(16, 2 * limits.maxConcurrent, Math.ceil(2 * limits.perSecond))
}

/** A retry fetched within this much of its time is attempted at once. */
const EARLY_TOLERANCE_MS = 2

const dec = new TextDecoder()

export async function startDaemon(options: DaemonOptions = {}): Promise<Daemon> {
  const env = options.env ?? process.env
  let loaded = await loadConfig({ configFile: options.configFile, env })
  const settings = loaded.settings
  const logger = options.logger ?? createLogger(settings.log.level)
  const errors = loaded.diagnostics.filter((d) => d.level === 'error').map((d) => formatDiagnostic(d))
  for (const d of loaded.diagnostics) if (d.level !== 'error') logger.warn(formatDiagnostic(d))
  const built = buildSnapshot(loaded.profiles, loaded.registry, settings.delivery.defaultTimeoutMs)
  errors.push(...built.failures.map((f) => f.message))
  if (errors.length) throw new DaemonConfigError(errors)

  const store = new ProfileStore(built.snapshot)
  const registry = loaded.registry
  const metrics = createMetrics(registry)
  const prefix = settings.nats.subjectPrefix
  const maxRetryAfterSeconds = settings.delivery.maxRetryAfterSeconds

  const { nc, jsm } = await connectNats(settings, { servers: options.natsServers, baseDir: loaded.baseDir })
  const js: JetStreamClient = nc.jetstream()
  const maxBytes = maxEventBytes(nc)
  let currentAckWait = ackWaitMs(built.snapshot.longestTimeoutMs(settings.delivery.defaultTimeoutMs))
  try {
    await ensureStreams(jsm, settings)
    await ensureConsumers(jsm, settings, { ackWaitMs: currentAckWait, concurrency: settings.delivery.concurrency })
  } catch (e) {
    await nc.close().catch(() => undefined)
    throw e
  }

  const dispatcher: Dispatcher = createDispatcher({ allow: settings.network.allow })
  const deliverer: Deliverer = createDeliverer({
    dispatcher,
    maxResponseBytes: settings.delivery.maxResponseBytes,
    defaultRateLimit: settings.delivery.defaultRateLimit,
  })
  const attemptLog = new AttemptLog(nc, { logger })
  const slots = new Slots(settings.delivery.concurrency)
  /** Gives a message's delivery slot back early (see deliver) or when its handler ends. */
  const leases = new Map<JsMsg, () => void>()
  const acks = new AckBatch()

  let stopping = false
  let connected = true
  const running: Record<string, boolean> = { [CONSUMERS.events]: false, [CONSUMERS.jobs]: false, [CONSUMERS.retries]: false }
  const iterators = new Set<ConsumerMessages>()

  // ── dead letters ────────────────────────────────────────────────────────────────────
  async function deadLetter(m: JsMsg, reason: DeadLetterReason, detail: string, fields: { eventId: string | null; profile: string | null; channel: string | null; event: string | null; subject: string; cycle: number; attempts: readonly AttemptSummary[]; msgId: string }): Promise<void> {
    await writeDeadLetter(js, { reason, detail, data: m.data, ...fields })
    metrics.deadLetters.inc({ reason })
    logger.warn({ reason, eventId: fields.eventId, profile: fields.profile, cycle: fields.cycle, attempts: fields.attempts.length, detail }, 'dead letter')
  }

  // ── one attempt, then what follows from it ──────────────────────────────────────────
  // ── overflow: a profile's queue is long enough ─────────────────────────────────────
  // Its endpoint hangs at maxConcurrent, or events arrive far above its perSecond. Further
  // events of that profile wait on the retry consumer (no pending limit, JetStream's store)
  // instead of in this process: the events consumer's max_ack_pending stays free for the
  // other tenants, and memory stays flat. Not an attempt: the attempt number is unchanged.
  async function deferIfOverflowing(m: JsMsg, job: Job): Promise<boolean> {
    const limiter = deliverer.limiterOf(job.profile)
    if (!limiter || limiter.waiting < overflowThreshold(limiter.limits)) return false
    const delayMs = Math.min(MAX_DEFER_MS, Math.max(MIN_DEFER_MS, Math.ceil((limiter.waiting / limiter.limits.perSecond) * 1000)))
    metrics.deferred.inc()
    if (m.subject.startsWith(`${SUBJECTS.retryJobs}.`)) {
      m.nak(delayMs)
      return true
    }
    const parked: Job = { ...job, notBefore: Date.now() + delayMs }
    await js.publish(jobSubject('retry', job.profile), m.data, { msgID: `${jobMsgId(job)}:deferred`, headers: encodeJob(parked) })
    m.ack()
    return true
  }

  async function deliver(m: JsMsg, compiled: CompiledProfile, envelope: CallbackEvent, job: Job): Promise<void> {
    if (await deferIfOverflowing(m, job)) return
    metrics.inFlight.inc()
    // ack_wait is set above twice the longest timeout, and the deliverer calls onWait while
    // a rate-limit slot is awaited; only an attempt whose timeout comes near ack_wait (a
    // reload raised it and the consumer update has not landed) needs a timer of its own.
    const keepAlive = compiled.timeoutMs * 2 > currentAckWait ? setInterval(() => m.working(), Math.max(1000, currentAckWait / 3)) : undefined
    const startedAt = Date.now()
    let result
    try {
      // Waiting for the profile's own rate-limit slot gives the process-wide slot back:
      // a profile at its maxConcurrent (a hanging endpoint) must not hold every slot and
      // stall the other tenants' events queued behind it.
      result = await deliverer.attempt(compiled, envelope, { event: job.event, channel: job.channel }, { onWait: () => { leases.get(m)?.(); m.working() } })
    } finally {
      if (keepAlive) clearInterval(keepAlive)
      metrics.inFlight.dec()
    }
    const finishedAt = Date.now()
    const summary: AttemptSummary = { attempt: job.attempt, at: new Date(startedAt).toISOString(), status: result.status ?? null, error: result.error ?? null, latencyMs: Math.round(result.latencyMs) }
    attemptLog.record({ eventId: job.eventId, profile: job.profile, cycle: job.cycle, ...summary })
    metrics.countDelivery(job.channel, job.event, result.outcome)
    metrics.attemptDuration.observe(result.latencyMs / 1000)
    if (result.ok) {
      acks.ack(m)
      if (logger.isLevelEnabled('debug')) logger.debug({ profile: job.profile, eventId: job.eventId, attempt: job.attempt, status: result.status, latencyMs: summary.latencyMs }, 'delivered')
      return
    }
    const log = logger.child({ profile: job.profile, eventId: job.eventId, attempt: job.attempt })
    const attempts = [...job.attempts, summary]
    const dlFields = { eventId: job.eventId, profile: job.profile, channel: job.channel, event: job.event, subject: job.subject, cycle: job.cycle, attempts, msgId: `${job.eventId}:${job.profile}:${job.cycle}:dead` }
    if (result.outcome === 'refused') {
      await deadLetter(m, 'address_refused', formatMessage('address_refused', result.error ?? compiled.profile.endpoint), dlFields)
      m.ack()
      return
    }
    if (result.outcome === 'render_failed') {
      await deadLetter(m, 'render_failed', formatMessage('render_failed', result.error ?? ''), dlFields)
      m.ack()
      return
    }
    const status = result.status ?? null
    const retryAfter = status === 429 || status === 503 ? retryAfterSeconds(result.retryAfter, finishedAt) : undefined
    const plan = planNextAttempt({ policy: compiled.plugin.retry, retry: compiled.profile.retry, failedAttempt: job.attempt, retryAfterSeconds: retryAfter, maxRetryAfterSeconds })
    if ('giveUp' in plan) {
      await deadLetter(m, 'retries_exhausted', formatMessage('retries_exhausted', result.error ?? `status ${status}`), dlFields)
      m.ack()
      return
    }
    const next: Job = { ...job, attempt: job.attempt + 1, notBefore: finishedAt + plan.delayMs, attempts }
    await js.publish(jobSubject('retry', job.profile), m.data, { msgID: jobMsgId(next), headers: encodeJob(next) })
    metrics.retriesScheduled.inc()
    log.info({ status, error: summary.error, retryInMs: plan.delayMs }, 'attempt failed; retry scheduled')
    m.ack()
  }

  // ── handlers ─────────────────────────────────────────────────────────────────────────
  async function onEvent(m: JsMsg): Promise<void> {
    const snapshot = store.snapshot
    const r = route({ subject: m.subject, data: m.data, prefix, maxEventBytes: maxBytes }, snapshot, registry)
    const cycle = Number(m.headers?.get(H.replayCycle)) || 1
    metrics.countReceived(r.channel, r.event)
    if (r.kind === 'dead') {
      metrics.eventsInvalid.inc({ reason: r.reason })
      await deadLetter(m, r.reason, r.detail, { eventId: r.eventId, profile: r.profile, channel: r.channel, event: r.event, subject: m.subject, cycle, attempts: [], msgId: `event:${m.seq}:${cycle}` })
      m.ack()
      return
    }
    const base = { eventId: r.eventId, channel: r.channel, event: r.event, subject: m.subject, cycle, attempt: 1, notBefore: 0, attempts: [] }
    if (r.profiles.length === 1) {
      const compiled = r.profiles[0]
      await deliver(m, compiled, r.envelope, { ...base, profile: compiled.profile.id })
      return
    }
    await Promise.all(
      r.profiles.map((p) => {
        const job: Job = { ...base, profile: p.profile.id }
        return js.publish(jobSubject('fresh', job.profile), m.data, { msgID: jobMsgId(job), headers: encodeJob(job) })
      }),
    )
    m.ack()
  }

  async function onJob(m: JsMsg): Promise<void> {
    const job = decodeJob(m.headers)
    const compiled = store.snapshot.byId(job.profile)
    const dlFields = { eventId: job.eventId, profile: job.profile, channel: job.channel, event: job.event, subject: job.subject, cycle: job.cycle, attempts: job.attempts, msgId: `${job.eventId}:${job.profile}:${job.cycle}:dead` }
    if (!compiled || compiled.profile.enabled === false) {
      await deadLetter(m, 'profile_removed', formatMessage('profile_removed', job.profile), dlFields)
      m.ack()
      return
    }
    const wait = job.notBefore - Date.now()
    if (wait > EARLY_TOLERANCE_MS) {
      m.nak(Math.min(wait, MAX_PARK_MS))
      return
    }
    let envelope: CallbackEvent
    try {
      envelope = JSON.parse(dec.decode(m.data)) as CallbackEvent
    } catch (e) {
      await deadLetter(m, 'invalid_json', formatMessage('invalid_json', (e as Error).message), dlFields)
      m.ack()
      return
    }
    await deliver(m, compiled, envelope, job)
  }

  // ── consumer loops ───────────────────────────────────────────────────────────────────
  async function consumeLoop(durable: string, stream: string, handler: (m: JsMsg) => Promise<void>): Promise<void> {
    while (!stopping) {
      let iter: ConsumerMessages | undefined
      try {
        const consumer = await js.consumers.get(stream, durable)
        iter = await consumer.consume({ max_messages: Math.max(8, Math.min(256, settings.delivery.concurrency)) })
        iterators.add(iter)
        running[durable] = true
        for await (const m of iter) {
          // Stopping: leave the message unacknowledged; JetStream hands it to another
          // daemon after ack_wait. (A nak here was measured to get the message delivered
          // twice by nats-server 2.9 when another daemon pulls at the same time.)
          if (stopping) continue
          if (!slots.tryAcquire()) await slots.acquire(() => m.working(), Math.max(1000, currentAckWait / 3))
          if (stopping) {
            slots.release()
            continue
          }
          let held = true
          const lease = (): void => {
            if (!held) return
            held = false
            leases.delete(m)
            slots.release()
          }
          leases.set(m, lease)
          handler(m)
            .catch((e: unknown) => {
              // NATS refused a publish (or is away): the message comes back; nothing is lost.
              logger.error({ err: e, consumer: durable, subject: m.subject }, 'handling failed; the message will be redelivered')
              try {
                m.nak(1000)
              } catch {
                // The connection is gone; ack_wait brings the message back.
              }
            })
            .finally(lease)
        }
      } catch (e) {
        if (!stopping) logger.error({ err: e, consumer: durable }, 'consumer stopped; restarting')
      } finally {
        running[durable] = false
        if (iter) iterators.delete(iter)
      }
      if (!stopping) await sleep(1000)
    }
  }

  const loops = [
    consumeLoop(CONSUMERS.events, STREAMS.events, onEvent),
    consumeLoop(CONSUMERS.jobs, STREAMS.jobs, onJob),
    consumeLoop(CONSUMERS.retries, STREAMS.jobs, onJob),
  ]

  // ── connection status, pending gauges ───────────────────────────────────────────────
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        connected = false
        logger.warn({ server: s.data }, 'NATS disconnected; reconnecting')
      } else if (s.type === 'reconnect') {
        connected = true
        logger.info({ server: s.data }, 'NATS reconnected')
      }
    }
  })().catch(() => undefined)

  const pendingTimer = setInterval(() => {
    void (async () => {
      for (const [stream, durable] of [[STREAMS.events, CONSUMERS.events], [STREAMS.jobs, CONSUMERS.jobs], [STREAMS.jobs, CONSUMERS.retries]] as const) {
        const info = await jsm.consumers.info(stream, durable)
        metrics.consumerPending.set({ consumer: durable }, info.num_pending)
        if (durable === CONSUMERS.retries) metrics.retriesWaiting.set(info.num_pending + info.num_ack_pending)
      }
    })().catch(() => undefined)
  }, 5000)
  pendingTimer.unref()

  // ── reload ───────────────────────────────────────────────────────────────────────────
  let reloadChain: Promise<unknown> = Promise.resolve()
  async function doReload(): Promise<{ ok: boolean; errors: string[] }> {
    const next = await loadProfiles(loaded.profilesDir, registry, env, loaded.settingsFile)
    const errs = next.diagnostics.filter((d) => d.level === 'error').map((d) => formatDiagnostic(d))
    let snapshot: ProfileSnapshot | undefined
    if (!errs.length) {
      const b = buildSnapshot(next.profiles, registry, settings.delivery.defaultTimeoutMs)
      errs.push(...b.failures.map((f) => f.message))
      snapshot = b.snapshot
    }
    if (errs.length || !snapshot) {
      metrics.configReloads.inc({ result: 'failure' })
      for (const line of errs) logger.error({ error: line }, 'reload refused: the last good profiles stay')
      return { ok: false, errors: errs }
    }
    const previous = store.snapshot
    store.swap(snapshot)
    // A removed profile, or one whose limits or credentials changed, starts afresh.
    for (const old of previous.all) {
      const now = snapshot.byId(old.profile.id)
      if (!now || JSON.stringify([now.profile.rateLimit, now.profile.auth]) !== JSON.stringify([old.profile.rateLimit, old.profile.auth])) deliverer.forget(old.profile.id)
    }
    loaded = { ...loaded, profiles: next.profiles, diagnostics: next.diagnostics }
    const ackWait = ackWaitMs(snapshot.longestTimeoutMs(settings.delivery.defaultTimeoutMs))
    if (ackWait !== currentAckWait) {
      currentAckWait = ackWait
      await ensureConsumers(jsm, settings, { ackWaitMs: ackWait, concurrency: settings.delivery.concurrency }).catch((e: unknown) => logger.error({ err: e }, 'could not update ack_wait'))
    }
    metrics.configReloads.inc({ result: 'success' })
    logger.info({ profiles: snapshot.size }, 'profiles reloaded')
    return { ok: true, errors: [] }
  }
  function reload(): Promise<{ ok: boolean; errors: string[] }> {
    const p = reloadChain.then(doReload, doReload)
    reloadChain = p.catch(() => undefined)
    return p
  }

  let watcher: FSWatcher | undefined
  let debounce: NodeJS.Timeout | undefined
  if (options.watchProfiles !== false) {
    try {
      watcher = watch(loaded.profilesDir, () => {
        if (debounce) clearTimeout(debounce)
        debounce = setTimeout(() => {
          debounce = undefined
          if (!stopping) void reload()
        }, 200)
      })
      watcher.on('error', (e) => logger.warn({ err: e }, 'watching profilesDir failed; SIGHUP still reloads'))
    } catch (e) {
      logger.warn({ err: e, dir: loaded.profilesDir }, 'cannot watch profilesDir; SIGHUP still reloads')
    }
  }

  // ── stop ─────────────────────────────────────────────────────────────────────────────
  let resolveClosed: () => void = () => undefined
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve))
  let stopPromise: Promise<void> | undefined
  async function doStop(): Promise<void> {
    stopping = true
    watcher?.close()
    if (debounce) clearTimeout(debounce)
    clearInterval(pendingTimer)
    for (const it of iterators) it.stop()
    const graceMs = settings.delivery.shutdownGraceSeconds * 1000
    const finished = await Promise.race([slots.idle().then(() => true), sleep(graceMs).then(() => false)])
    if (!finished) logger.warn({ inFlight: slots.inUse }, 'shutdown grace over: unfinished deliveries will be redelivered')
    acks.flush()
    await attemptLog.close()
    await reloadChain
    await nc.drain().catch(() => nc.close())
    await Promise.race([Promise.allSettled(loops), sleep(1000)])
    await dispatcher.close().catch(() => undefined)
    logger.info('stopped')
    resolveClosed()
  }

  nc.closed().then(() => {
    if (!stopping) {
      logger.error('NATS connection closed')
      void stop()
    }
  }).catch(() => undefined)

  function stop(): Promise<void> {
    stopPromise ??= doStop()
    return stopPromise
  }

  logger.info({ profiles: built.snapshot.size, servers: nc.getServer(), concurrency: settings.delivery.concurrency, maxEventBytes: maxBytes }, 'daemon started')

  return {
    ready() {
      const checks = {
        nats: connected && !nc.isClosed(),
        consumers: Object.values(running).every(Boolean),
        profiles: true,
        accepting: !stopping,
      }
      return { ready: Object.values(checks).every(Boolean), checks }
    },
    metrics: metrics.registry,
    config: () => loaded,
    reload,
    stop,
    nc,
    closed,
  }
}

function retryAfterSeconds(value: string | number | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number') return value
  return parseRetryAfter(value, nowMs)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}

export type { DaemonMetrics }
