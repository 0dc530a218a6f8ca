// No message loops. A message (event, job, retry) whose handling throws (an exception in
// the daemon, not a delivery failure) is nak'd and comes back; the 5th failure of the same
// message makes it an `internal_error` dead letter (detail: the error's message), acked,
// counted and logged. NATS being away or refusing for now (a timeout, a disconnect, no
// JetStream yet) is not the message's fault and is not counted: the message waits, as
// every other does, until NATS answers again.
// Failures are counted per message (stream and sequence) in this process; a message that
// moves between daemons is counted by each, so it still ends after at most 5 per daemon.
import type { JsMsg } from 'nats'
import { formatMessage } from '../errors'
import type { DaemonContext } from './context'
import { deadLetter, type DeadLetterFields } from './handle'
import { describeMessage } from './describe'

/** Handling failures of one message before it becomes an internal_error dead letter. */
export const MAX_HANDLING_FAILURES = 5
/** A failed message comes back after this long. */
export const FAILED_REDELIVERY_MS = 1000
/** Messages tracked at once; the oldest are forgotten first (another daemon may have finished them). */
const MAX_TRACKED = 10_000

/** nats.js error codes of a NATS that is away or not ready: transient, never the message's fault. */
const TRANSIENT_CODES = new Set(['TIMEOUT', 'DISCONNECT', 'CONNECTION_CLOSED', 'CONNECTION_DRAINING', 'CONNECTION_REFUSED', 'CONNECTION_TIMEOUT', '503', '408'])

export function isTransient(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' && TRANSIENT_CODES.has(code)
}

interface Failure {
  count: number
  lastError: string
}

/** Counts handling failures per message. */
export class HandlingFailures {
  private readonly byMessage = new Map<string, Failure>()

  static key(m: JsMsg): string {
    return `${m.info.stream}:${m.seq}`
  }

  get size(): number {
    return this.byMessage.size
  }

  get(m: JsMsg): Failure | undefined {
    return this.byMessage.size === 0 ? undefined : this.byMessage.get(HandlingFailures.key(m))
  }

  /** Records one failure; returns the message's failures so far. */
  fail(m: JsMsg, error: string): number {
    const key = HandlingFailures.key(m)
    const count = (this.byMessage.get(key)?.count ?? 0) + 1
    this.byMessage.delete(key)
    this.byMessage.set(key, { count, lastError: error })
    if (this.byMessage.size > MAX_TRACKED) this.byMessage.delete(this.byMessage.keys().next().value as string)
    return count
  }

  forget(m: JsMsg): void {
    if (this.byMessage.size !== 0) this.byMessage.delete(HandlingFailures.key(m))
  }
}

function messageOf(e: unknown): string {
  const text = e instanceof Error ? e.message || e.name : String(e)
  return text.length > 500 ? `${text.slice(0, 499)}…` : text
}

/**
 * After a handler threw: counts the failure and naks the message, or, at the 5th, writes
 * its internal_error dead letter and acks it.
 */
export async function onHandlingFailure(ctx: DaemonContext, failures: HandlingFailures, durable: string, m: JsMsg, e: unknown): Promise<void> {
  const transient = isTransient(e)
  const count = transient ? (failures.get(m)?.count ?? 0) : failures.fail(m, messageOf(e))
  if (count >= MAX_HANDLING_FAILURES) return internalError(ctx, failures, m)
  // NATS refused a publish (or is away), or the handler threw: the message comes back.
  ctx.logger.error({ err: e, consumer: durable, subject: m.subject, failures: count, transient }, 'handling failed; the message will be redelivered')
  nakQuietly(m)
}

/** The message failed MAX_HANDLING_FAILURES times: its dead letter, then the ack. */
export async function internalError(ctx: DaemonContext, failures: HandlingFailures, m: JsMsg): Promise<void> {
  const failure = failures.get(m) ?? { count: MAX_HANDLING_FAILURES, lastError: 'unknown' }
  const fields: DeadLetterFields = describeMessage(ctx, m)
  try {
    await deadLetter(ctx, m, 'internal_error', formatMessage('internal_error', failure.count, failure.lastError), fields)
  } catch (e) {
    // NATS refused the dead letter too: the message comes back and goes straight here.
    ctx.logger.error({ err: e, subject: m.subject }, 'the internal_error dead letter could not be written; the message will be redelivered')
    nakQuietly(m)
    return
  }
  ctx.logger.error({ subject: m.subject, eventId: fields.eventId, profile: fields.profile, failures: failure.count, error: failure.lastError }, 'a message failed to be handled too often: dead letter internal_error')
  failures.forget(m)
  m.ack()
}

function nakQuietly(m: JsMsg): void {
  try {
    m.nak(FAILED_REDELIVERY_MS)
  } catch {
    // The connection is gone; ack_wait brings the message back.
  }
}
