// The JetStream streams and durable consumers the daemon works on, created or brought up
// to date at every start (and ack_wait again on every reload).
//   CALLBACK_EVENTS    <prefix>.>                 work queue, discard new: publishers see refusals
//   CALLBACK_JOBS      callback-router.jobs.>     work queue, discard new: fan-out and retry jobs
//   CALLBACK_DEAD      callback-router.dead.>     limits, discard old: dead letters
//   CALLBACK_ATTEMPTS  callback-router.attempts.> limits, discard old: the attempt log
//   CALLBACK_OPS       callback-router.ops.>      limits, 30 days: breaker and pause events
// Consumers: explicit ack, max_deliver -1 (a message past max_deliver silently stays in the
// stream), no backoff list (retry timing travels in the job's headers).
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, nanos, type ConsumerConfig, type JetStreamManager, type StreamConfig } from 'nats'
import type { Settings } from '../config/settings'

export const STREAMS = {
  events: 'CALLBACK_EVENTS',
  jobs: 'CALLBACK_JOBS',
  dead: 'CALLBACK_DEAD',
  attempts: 'CALLBACK_ATTEMPTS',
  ops: 'CALLBACK_OPS',
} as const

export const SUBJECTS = {
  jobs: 'callback-router.jobs',
  freshJobs: 'callback-router.jobs.fresh',
  retryJobs: 'callback-router.jobs.retry',
  dead: 'callback-router.dead',
  attempts: 'callback-router.attempts',
  ops: 'callback-router.ops',
  /** Held deliveries of a profile wait here, read by no durable consumer until released. */
  heldJobs: 'callback-router.jobs.held',
} as const

/** DESIGN: operational events are kept 30 days. */
const OPS_MAX_AGE_MS = 30 * 24 * 3600 * 1000

/** Durable consumer names. */
export const CONSUMERS = {
  events: 'events',
  jobs: 'jobs',
  retries: 'retries',
} as const

export function streamConfigs(settings: Settings): Array<Partial<StreamConfig> & { name: string }> {
  const n = settings.nats
  const s = n.streams
  const dup = n.duplicateWindowSeconds * 1000
  const common = { storage: StorageType.File, num_replicas: n.replicas }
  const capped = (maxAgeSeconds: number): number => nanos(Math.min(dup, maxAgeSeconds * 1000))
  return [
    { ...common, name: STREAMS.events, subjects: [`${n.subjectPrefix}.>`], retention: RetentionPolicy.Workqueue, discard: DiscardPolicy.New, max_bytes: s.eventsMaxBytes, duplicate_window: nanos(dup) },
    { ...common, name: STREAMS.jobs, subjects: [`${SUBJECTS.jobs}.>`], retention: RetentionPolicy.Workqueue, discard: DiscardPolicy.New, max_bytes: s.jobsMaxBytes, duplicate_window: nanos(dup) },
    { ...common, name: STREAMS.dead, subjects: [`${SUBJECTS.dead}.>`], retention: RetentionPolicy.Limits, discard: DiscardPolicy.Old, max_bytes: s.deadMaxBytes, max_age: nanos(s.deadMaxAgeSeconds * 1000), duplicate_window: capped(s.deadMaxAgeSeconds) },
    { ...common, name: STREAMS.attempts, subjects: [`${SUBJECTS.attempts}.>`], retention: RetentionPolicy.Limits, discard: DiscardPolicy.Old, max_bytes: s.attemptsMaxBytes, max_age: nanos(s.attemptsMaxAgeSeconds * 1000), duplicate_window: capped(s.attemptsMaxAgeSeconds) },
    { ...common, name: STREAMS.ops, subjects: [`${SUBJECTS.ops}.>`], retention: RetentionPolicy.Limits, discard: DiscardPolicy.Old, max_age: nanos(OPS_MAX_AGE_MS), duplicate_window: nanos(Math.min(dup, 120_000)) },
  ]
}

/** A JetStream answer that the stream or consumer does not exist. */
export function isNotFound(e: unknown): boolean {
  const err = e as { code?: string; api_error?: { err_code?: number }; message?: string }
  return err?.code === '404' || err?.api_error?.err_code === 10059 || err?.api_error?.err_code === 10014 || /not found/i.test(err?.message ?? '')
}

/** Creates each stream, or updates the one already there to the settings. */
export async function ensureStreams(jsm: JetStreamManager, settings: Settings): Promise<void> {
  for (const cfg of streamConfigs(settings)) {
    try {
      await jsm.streams.info(cfg.name)
    } catch (e) {
      if (!isNotFound(e)) throw e
      await jsm.streams.add(cfg)
      continue
    }
    const { name, retention: _retention, storage: _storage, ...update } = cfg
    void _retention
    void _storage
    await jsm.streams.update(name, update)
  }
}

/** ack_wait: above the longest attempt (its timeout, a token fetch in it, a margin). */
export function ackWaitMs(longestTimeoutMs: number): number {
  return 2 * longestTimeoutMs + 5000
}

export interface ConsumerLimits {
  ackWaitMs: number
  /** Deliveries in flight per process; bounds the fresh consumers' max_ack_pending. */
  concurrency: number
}

export function consumerConfigs(settings: Settings, limits: ConsumerLimits): Array<{ stream: string; config: Partial<ConsumerConfig> & { durable_name: string } }> {
  const common = {
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(limits.ackWaitMs),
    max_deliver: -1,
  }
  const bounded = Math.max(1000, 4 * limits.concurrency)
  return [
    { stream: STREAMS.events, config: { ...common, durable_name: CONSUMERS.events, max_ack_pending: bounded, filter_subject: `${settings.nats.subjectPrefix}.>` } },
    { stream: STREAMS.jobs, config: { ...common, durable_name: CONSUMERS.jobs, max_ack_pending: bounded, filter_subject: `${SUBJECTS.freshJobs}.>` } },
    // Parked retries must never block fresh work: no pending limit.
    { stream: STREAMS.jobs, config: { ...common, durable_name: CONSUMERS.retries, max_ack_pending: -1, filter_subject: `${SUBJECTS.retryJobs}.>` } },
  ]
}

/** Creates each durable consumer, or updates ack_wait, max_ack_pending and max_deliver of the one there. */
export async function ensureConsumers(jsm: JetStreamManager, settings: Settings, limits: ConsumerLimits): Promise<void> {
  for (const { stream, config } of consumerConfigs(settings, limits)) {
    let exists = true
    try {
      await jsm.consumers.info(stream, config.durable_name)
    } catch (e) {
      if (!isNotFound(e)) throw e
      exists = false
    }
    if (!exists) {
      await jsm.consumers.add(stream, config)
      continue
    }
    await jsm.consumers.update(stream, config.durable_name, {
      ack_wait: config.ack_wait,
      max_ack_pending: config.max_ack_pending,
      max_deliver: config.max_deliver,
      backoff: [],
    })
  }
}
