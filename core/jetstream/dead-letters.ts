// Dead letters: events (or one profile's delivery of an event) that will not be delivered,
// each with its reason and the original bytes, on callback-router.dead.<reason>. The opaque
// id of a dead letter is its CALLBACK_DEAD sequence. A replay starts a new cycle: a
// delivery dead letter becomes a fresh job for its profile; a routing dead letter goes
// back through routing (republished on its original subject with the next cycle).
import { headers as natsHeaders, type JetStreamClient, type JetStreamManager, type PubAck } from 'nats'
import { DELIVERY, isDeadLetterReason, type DeadLetterReason } from '../errors'
import { H, encodeJob, encodeSummaries, decodeSummaries, jobMsgId, jobSubject, type AttemptSummary } from './jobs'
import { STREAMS, SUBJECTS } from './streams'
import { readStream } from './stream-read'
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
}


/** Header values cannot hold CR/LF; long details are cut. */
function headerText(s: string, max = 1000): string {
  const flat = s.replace(/[\r\n\t]+/g, ' ')
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat
}

export async function writeDeadLetter(js: JetStreamClient, dl: DeadLetterInput): Promise<PubAck> {
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
  if (dl.attempts.length) h.set(H.attempts, encodeSummaries(dl.attempts))
  return js.publish(`${SUBJECTS.dead}.${dl.reason}`, dl.data, { msgID: dl.msgId, headers: h })
}

interface Parsed {
  entry: DeadLetterEntry
  channel: string | null
  event: string | null
  subject: string
  cycle: number
  summaries: AttemptSummary[]
  data: Uint8Array
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

function originalEvent(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data))
  } catch {
    return Buffer.from(data).toString('base64')
  }
}

/** A dead letter with its original event and its attempts; undefined when there is none with that id. */
export interface DeadLetterDetail extends Omit<DeadLetterEntry, 'attempts'> {
  channel: string | null
  subject: string
  cycle: number
  /** The original event: parsed when it is JSON, else its bytes in base64. */
  event: unknown
  /** Every attempt of this event (and profile) from the attempt log. */
  attempts: AttemptRecord[]
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
  return { ...p.entry, channel: p.channel, subject: p.subject, cycle: p.cycle, event: originalEvent(p.data), attempts }
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
  let ack: PubAck
  let via: ReplayResult['via']
  if (isDeadLetterReason(reason) && reason in DELIVERY && eventId && profile && p.channel && p.event) {
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
