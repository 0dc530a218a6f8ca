// Dead letters: events (or one profile's delivery of an event) that will not be delivered,
// each with its reason and the original bytes, on callback-router.dead.<reason>. The opaque
// id of a dead letter is its CALLBACK_DEAD sequence. A replay starts a new cycle: a
// delivery dead letter becomes a fresh job for its profile; a routing dead letter goes
// back through routing (republished on its original subject with the next cycle).
import { createHash } from 'node:crypto'
import { headers as natsHeaders, type JetStreamClient, type JetStreamManager, type MsgHdrs, type PubAck } from 'nats'
import { CallbackRouterError, DELIVERY, isDeadLetterReason, type DeadLetterReason } from '../errors'
import { H, encodeJob, encodeSummaries, decodeSummaries, jobMsgId, jobSubject, type AttemptSummary } from './jobs'
import { STREAMS, SUBJECTS } from './streams'
import { readStream } from './stream-read'
import { EVENT_MAX_DEPTH, nestsDeeperThan } from './json-depth'
import { readAttempts, type AttemptRecord } from './attempt-log'
import type { DeadLetterEntry } from '../json-shapes'

export type { DeadLetterEntry }

export interface DeadLetterInput {
  reason: DeadLetterReason
  detail: string
  eventId: string | null
  profile: string | null
  channel: string | null
  event: string | null
  /** The subject the event was published on. */
  subject: string
  cycle: number
  /** The attempts of this cycle (empty for routing dead letters). */
  attempts: readonly AttemptSummary[]
  /** The original event bytes. */
  data: Uint8Array
  /** Nats-Msg-Id: the same dead letter written twice (a crash before the ack) is stored once. */
  msgId: string
  /** internal_error: the kind of message that failed (a replay goes back the same way). */
  origin?: 'event' | 'job'
}

export interface WriteOptions {
  /** The server's max_payload: a dead letter that would not fit keeps the event's first TRUNCATED_BYTES. */
  maxPayload?: number
}

/** What a truncated dead letter keeps of its event. */
export const TRUNCATED_BYTES = 64 * 1024
/** Room for the headers js.publish adds (Nats-Msg-Id) and the framing. */
const PUBLISH_OVERHEAD = 1024
/** The attempt summaries a dead letter carries (a forged job may bring any number). */
const MAX_ATTEMPTS_HEADER = 16 * 1024


/** Header values cannot hold CR/LF; long details are cut. */
function headerText(s: string, max = 1000): string {
  const flat = s.replace(/[\r\n\t]+/g, ' ')
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat
}

function headerBytes(h: MsgHdrs): number {
  let n = 'NATS/1.0\r\n\r\n'.length
  for (const k of h.keys()) for (const v of h.values(k)) n += Buffer.byteLength(`${k}: ${v}\r\n`)
  return n
}

/** The last attempts whose summary fits the header budget. */
function attemptsHeader(attempts: readonly AttemptSummary[]): string {
  let list = attempts
  let text = encodeSummaries(list)
  while (text.length > MAX_ATTEMPTS_HEADER && list.length > 0) {
    list = list.slice(Math.max(1, Math.floor(list.length / 4)))
    text = encodeSummaries(list)
  }
  return text
}

/**
 * Stores the dead letter with the event's bytes. One too large for NATS (an event of
 * max_payload refused as payload_too_large, with headers on top) keeps the event's first
 * 64 KiB, with CR-Truncated, CR-Event-Size (bytes) and CR-Event-Sha256 (hex) of the whole.
 */
export async function writeDeadLetter(js: JetStreamClient, dl: DeadLetterInput, options: WriteOptions = {}): Promise<PubAck> {
  const h = deadLetterHeaders(dl)
  let data = dl.data
  if (options.maxPayload !== undefined && data.byteLength + headerBytes(h) + PUBLISH_OVERHEAD > options.maxPayload) {
    h.set(H.truncated, 'true')
    h.set(H.eventSize, String(data.byteLength))
    h.set(H.eventSha256, createHash('sha256').update(data).digest('hex'))
    data = data.subarray(0, TRUNCATED_BYTES)
  }
  return js.publish(`${SUBJECTS.dead}.${dl.reason}`, data, { msgID: dl.msgId, headers: h })
}

function deadLetterHeaders(dl: DeadLetterInput): MsgHdrs {
  const h = natsHeaders()
  h.set(H.reason, dl.reason)
  h.set(H.detail, headerText(dl.detail))
  if (dl.eventId) h.set(H.eventId, dl.eventId)
  if (dl.profile) h.set(H.profile, headerText(dl.profile, 200))
  if (dl.channel) h.set(H.channel, headerText(dl.channel, 200))
  if (dl.event) h.set(H.event, headerText(dl.event, 200))
  h.set(H.subject, headerText(dl.subject, 500))
  h.set(H.cycle, String(dl.cycle))
  h.set(H.attemptCount, String(dl.attempts.length))
  if (dl.attempts.length) h.set(H.attempts, attemptsHeader(dl.attempts))
  if (dl.origin) h.set(H.origin, dl.origin)
  return h
}

interface Parsed {
  entry: DeadLetterEntry
  channel: string | null
  event: string | null
  subject: string
  cycle: number
  summaries: AttemptSummary[]
  data: Uint8Array
  origin: string | null
  truncated: TruncatedEvent | undefined
}

/** A dead letter that kept only the start of its event. */
export interface TruncatedEvent {
  /** The whole event's size in bytes. */
  size: number
  /** SHA-256 of the whole event, hex. */
  sha256: string
  /** Bytes kept (the event's first). */
  kept: number
}

function parse(seq: number, time: number, h: { get(k: string): string } | undefined, data: Uint8Array): Parsed {
  const get = (k: string): string | null => h?.get(k) || null
  return {
    entry: {
      id: String(seq),
      eventId: get(H.eventId),
      profile: get(H.profile),
      reason: get(H.reason) ?? 'unknown',
      detail: get(H.detail) ?? '',
      at: new Date(time).toISOString(),
      attempts: Number(get(H.attemptCount) ?? 0),
    },
    channel: get(H.channel),
    event: get(H.event),
    subject: get(H.subject) ?? '',
    cycle: Number(get(H.cycle) ?? 1) || 1,
    summaries: decodeSummaries(get(H.attempts) ?? undefined),
    data,
    origin: get(H.origin),
    truncated: get(H.truncated) === 'true' ? { size: Number(get(H.eventSize)), sha256: get(H.eventSha256) ?? '', kept: data.byteLength } : undefined,
  }
}

export async function listDeadLetters(js: JetStreamClient, jsm: JetStreamManager, filter: { profile?: string; reason?: string } = {}): Promise<DeadLetterEntry[]> {
  const subject = filter.reason ? `${SUBJECTS.dead}.${filter.reason}` : undefined
  const messages = await readStream(js, jsm, STREAMS.dead, subject)
  return messages
    .map((m) => parse(m.seq, m.time, m.headers, m.data).entry)
    .filter((e) => !filter.profile || e.profile === filter.profile)
}

async function load(jsm: JetStreamManager, id: string): Promise<Parsed | undefined> {
  const seq = Number(id)
  if (!Number.isInteger(seq) || seq < 1) return undefined
  try {
    const m = await jsm.streams.getMessage(STREAMS.dead, { seq })
    return parse(m.seq, m.time.getTime(), m.header, m.data)
  } catch {
    return undefined
  }
}

/** Parsed when it is JSON that every printer can serialize again; else its bytes in base64. */
function originalEvent(data: Uint8Array): unknown {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(data)
    if (!nestsDeeperThan(text, EVENT_MAX_DEPTH)) return JSON.parse(text)
  } catch {
    // Not UTF-8 JSON: shown as its bytes.
  }
  return Buffer.from(data).toString('base64')
}

/** A dead letter with its original event and its attempts; undefined when there is none with that id. */
export interface DeadLetterDetail extends Omit<DeadLetterEntry, 'attempts'> {
  channel: string | null
  subject: string
  cycle: number
  /** The original event: parsed when it is JSON nested at most EVENT_MAX_DEPTH deep, else its bytes in base64. */
  event: unknown
  /** Every attempt of this event (and profile) from the attempt log. */
  attempts: AttemptRecord[]
  /** Present when the dead letter kept only the event's first bytes; `event` is then that start as text. */
  truncated?: TruncatedEvent
}

export async function showDeadLetter(js: JetStreamClient, jsm: JetStreamManager, id: string): Promise<DeadLetterDetail | undefined> {
  const p = await load(jsm, id)
  if (!p) return undefined
  let attempts: AttemptRecord[] = []
  if (p.entry.eventId) {
    attempts = (await readAttempts(js, jsm, p.entry.eventId)).filter((a) => !p.entry.profile || a.profile === p.entry.profile)
  }
  if (attempts.length === 0 && p.summaries.length && p.entry.eventId && p.entry.profile) {
    const { eventId, profile } = p.entry
    attempts = p.summaries.map((s) => ({ eventId, profile, cycle: p.cycle, ...s }))
  }
  const event = p.truncated ? new TextDecoder().decode(p.data) : originalEvent(p.data)
  return { ...p.entry, channel: p.channel, subject: p.subject, cycle: p.cycle, event, attempts, ...(p.truncated ? { truncated: p.truncated } : {}) }
}

export interface ReplayResult {
  id: string
  eventId: string | null
  profile: string | null
  /** The new cycle. */
  cycle: number
  /** 'job': straight to its profile; 'routing': republished on its subject. */
  via: 'job' | 'routing'
  /** The stream already held this replay (replayed twice within the duplicate window). */
  duplicate: boolean
}

/**
 * Re-queues a dead letter as cycle n+1 and removes it from CALLBACK_DEAD. The new
 * cycle's msg id is new to the dedupe window, and the same replay twice is stored once.
 */
export async function replayDeadLetter(js: JetStreamClient, jsm: JetStreamManager, id: string): Promise<ReplayResult | undefined> {
  const p = await load(jsm, id)
  if (!p) return undefined
  const cycle = p.cycle + 1
  const { eventId, profile, reason } = p.entry
  const complete = Boolean(eventId && profile && p.channel && p.event)
  if (p.truncated) throw new CallbackRouterError('DEAD_LETTER_NOT_REPLAYABLE', [id, `it kept only the first ${p.truncated.kept} bytes of a ${p.truncated.size}-byte event`])
  if (p.origin === 'job' && !complete) throw new CallbackRouterError('DEAD_LETTER_NOT_REPLAYABLE', [id, 'the job it came from could not be read'])
  // A job's dead letter goes back to its profile; an event's back through routing.
  const asJob = p.origin === 'job' || (p.origin === null && isDeadLetterReason(reason) && reason in DELIVERY)
  let ack: PubAck
  let via: ReplayResult['via']
  if (asJob && complete && eventId && profile && p.channel && p.event) {
    via = 'job'
    const job = { eventId, profile, channel: p.channel, event: p.event, subject: p.subject, cycle, attempt: 1, notBefore: 0, attempts: [] }
    ack = await js.publish(jobSubject('fresh', profile), p.data, { msgID: jobMsgId(job), headers: encodeJob(job) })
  } else {
    via = 'routing'
    const h = natsHeaders()
    h.set(H.replayCycle, String(cycle))
    ack = await js.publish(p.subject, p.data, { msgID: `${eventId ?? `dead-${id}`}:replay:${cycle}`, headers: h })
  }
  await jsm.streams.deleteMessage(STREAMS.dead, Number(id), false).catch(() => false)
  return { id, eventId, profile, cycle, via, duplicate: ack.duplicate }
}
