// A job is one delivery of one event to one profile: the event's original bytes as the
// body, the retry state in headers. Keeping the state in headers (not in JetStream's
// delivery count, which also rises on ack timeouts and restarts) makes the attempt number
// survive restarts exactly.
import { headers as natsHeaders, type JsMsg, type MsgHdrs } from 'nats'
import { SUBJECTS } from './streams'
import { errorClass } from '../errors'

export const H = {
  eventId: 'CR-Event-Id',
  profile: 'CR-Profile',
  channel: 'CR-Channel',
  event: 'CR-Event',
  subject: 'CR-Subject',
  cycle: 'CR-Cycle',
  attempt: 'CR-Attempt',
  notBefore: 'CR-Not-Before',
  attempts: 'CR-Attempts',
  replayCycle: 'CR-Replay-Cycle',
  reason: 'CR-Reason',
  detail: 'CR-Detail',
  attemptCount: 'CR-Attempt-Count',
  at: 'CR-At',
  /** Dead letters: 'event' or 'job', the kind of message that failed (internal_error). */
  origin: 'CR-Origin',
  /** Dead letters too large for NATS keep the event's first 64 KiB: then these say so. */
  truncated: 'CR-Truncated',
  eventSize: 'CR-Event-Size',
  eventSha256: 'CR-Event-Sha256',
} as const

/** One attempt, compactly, as carried along in the job headers and summarised in a dead letter. */
export interface AttemptSummary {
  attempt: number
  /** ISO-8601 UTC. */
  at: string
  status: number | null
  error: string | null
  latencyMs: number
}

export interface Job {
  eventId: string
  profile: string
  channel: string
  event: string
  /** The subject the event was published on. */
  subject: string
  cycle: number
  /** The attempt this job makes, from 1 within its cycle. */
  attempt: number
  /** Epoch ms before which the attempt must not start; 0 for at once. */
  notBefore: number
  /** The attempts of this cycle so far. */
  attempts: AttemptSummary[]
  /** The event span's W3C trace context (`traceparent`, `tracestate`), so a retry's attempt joins the event's trace. */
  trace?: Record<string, string>
}

export type JobKind = 'fresh' | 'retry'

const REPLAY_CYCLE_KEY = Buffer.from(H.replayCycle, 'latin1')

/** nats.js's undecoded header block of a message: the bytes before `hdr` in its raw data. */
interface RawMsg {
  msg?: { _msg?: { hdr?: unknown }; _rdata?: Uint8Array }
}

/**
 * The replay cycle of an event: 1, unless a replay of its dead letter set CR-Replay-Cycle.
 * The raw header block is searched for the name first: decoding every event's headers (its
 * Nats-Msg-Id) only to find this one absent was 2 % of the daemon's CPU (bench profile).
 * Where the name appears, or nats.js keeps its message differently, the headers are decoded.
 */
export function replayCycleOf(m: JsMsg): number {
  const raw = (m as unknown as RawMsg).msg
  const hdr = raw?._msg?.hdr
  if (typeof hdr === 'number' && raw?._rdata instanceof Uint8Array) {
    if (hdr <= 0) return 1
    const block = Buffer.from(raw._rdata.buffer, raw._rdata.byteOffset, Math.min(hdr, raw._rdata.byteLength))
    if (block.indexOf(REPLAY_CYCLE_KEY) === -1) return 1
  }
  return Number(m.headers?.get(H.replayCycle)) || 1
}

export function jobSubject(kind: JobKind, profileId: string): string {
  return `${kind === 'fresh' ? SUBJECTS.freshJobs : SUBJECTS.retryJobs}.${profileId}`
}

/** The job's Nats-Msg-Id: a job published twice (a crash between publish and ack) is stored once. */
export function jobMsgId(job: Pick<Job, 'eventId' | 'profile' | 'cycle' | 'attempt'>): string {
  return `${job.eventId}:${job.profile}:${job.cycle}:${job.attempt}`
}

type Packed = [attempt: number, at: string, status: number | null, error: string | null, latencyMs: number]

export function encodeSummaries(list: readonly AttemptSummary[]): string {
  return JSON.stringify(list.map((a): Packed => [a.attempt, a.at, a.status, a.error, a.latencyMs]))
}

export function decodeSummaries(text: string | undefined): AttemptSummary[] {
  if (!text) return []
  try {
    const raw = JSON.parse(text) as unknown
    if (!Array.isArray(raw)) return []
    return raw
      .filter((p): p is Packed => Array.isArray(p) && p.length === 5)
      .map(([attempt, at, status, error, latencyMs]) => ({ attempt: Number(attempt), at: String(at), status: status === null ? null : Number(status), error: error === null ? null : String(error), latencyMs: Number(latencyMs) }))
  } catch {
    return []
  }
}

export function encodeJob(job: Job): MsgHdrs {
  const h = natsHeaders()
  h.set(H.eventId, job.eventId)
  h.set(H.profile, job.profile)
  h.set(H.channel, job.channel)
  h.set(H.event, job.event)
  h.set(H.subject, job.subject)
  h.set(H.cycle, String(job.cycle))
  h.set(H.attempt, String(job.attempt))
  h.set(H.notBefore, String(job.notBefore))
  if (job.attempts.length) h.set(H.attempts, encodeSummaries(job.attempts))
  if (job.trace !== undefined) for (const k in job.trace) h.set(k, job.trace[k])
  return h
}

/** A job whose headers cannot be decoded: `new JobHeaderError(detail)`, code JOB_HEADERS. */
export const JobHeaderError = errorClass('JOB_HEADERS')

function positiveInt(h: MsgHdrs, name: string, min: number): number {
  const v = Number(h.get(name))
  if (!Number.isInteger(v) || v < min) throw new JobHeaderError(`job header ${name} is missing or not an integer ≥ ${min}: "${h.get(name)}"`)
  return v
}

export function decodeJob(h: MsgHdrs | undefined): Job {
  if (!h) throw new JobHeaderError('a job without headers')
  const need = (name: string): string => {
    const v = h.get(name)
    if (!v) throw new JobHeaderError(`job header ${name} is missing`)
    return v
  }
  return {
    eventId: need(H.eventId),
    profile: need(H.profile),
    channel: need(H.channel),
    event: need(H.event),
    subject: h.get(H.subject) || '',
    cycle: positiveInt(h, H.cycle, 1),
    attempt: positiveInt(h, H.attempt, 1),
    notBefore: positiveInt(h, H.notBefore, 0),
    attempts: decodeSummaries(h.get(H.attempts)),
    trace: traceOf(h),
  }
}

/** The W3C trace context a job or an event carries, if any. */
export function traceOf(h: MsgHdrs | undefined): Record<string, string> | undefined {
  const traceparent = h?.get('traceparent')
  if (!traceparent) return undefined
  const tracestate = h!.get('tracestate')
  return tracestate ? { traceparent, tracestate } : { traceparent }
}
