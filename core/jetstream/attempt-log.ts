// The attempt log: one record per delivery attempt on callback-router.attempts.<eventId>.
// Records are never awaited per attempt (an awaited publish per attempt costs a third of
// the throughput). They go out as core NATS publishes (the stream captures the subject;
// Nats-Msg-Id dedupes): a JetStream publish per record is a request with its own PubAck,
// and measured C/B 0.38-0.45 against 0.55 this way (npm run bench). A turn's records are
// published at its end, in the same write as its acks (ack-batch.ts EndOfTurn); batches of
// 100 ms cost 9 % of the daemon's CPU (bench, the log switched off for comparison): the
// records lived long enough to be copied by the garbage collector, and went out in bursts.
import { headers as natsHeaders, type MsgHdrs, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats'
import type { Logger } from 'pino'
import { STREAMS, SUBJECTS } from './streams'
import { readStream } from './stream-read'
import { AckBatch, EndOfTurn } from './ack-batch'
import type { AttemptRecord } from '../json-shapes'

export type { AttemptRecord }


export function attemptSubject(eventId: string): string {
  return `${SUBJECTS.attempts}.${eventId}`
}

export interface AttemptLogOptions {
  /** The turn whose end sends the records, with the acks of the same turn (one write). */
  turn?: EndOfTurn
  logger?: Logger
}

export class AttemptLog {
  private buffer: AttemptRecord[] = []
  private readonly enc = new TextEncoder()
  private readonly turn: EndOfTurn

  constructor(private readonly nc: NatsConnection, private readonly options: AttemptLogOptions = {}) {
    this.turn = options.turn ?? new EndOfTurn()
    this.turn.add(this.flush)
  }

  record(r: AttemptRecord): void {
    this.buffer.push(r)
    this.turn.due()
  }

  /** Publishes what is buffered (core NATS publishes, written with the turn's acks). */
  readonly flush = (): void => {
    const batch = this.buffer
    if (batch.length === 0) return
    this.buffer = []
    const nc = this.nc
    if (nc.isClosed()) {
      // A delivery that ended after shutdown closed NATS: its message is not acked either, so it comes back.
      this.options.logger?.warn({ failed: batch.length }, 'attempt log records could not be sent: NATS is closed')
      return
    }
    // nats.js refuses a publish when its reconnect buffer is full or the connection closed;
    // one record refused does not stop the others, and the turn logs once.
    let failed = 0
    let error: unknown
    for (const r of batch) {
      try {
        const { headers, body } = encodedRecord(this.enc, r)
        nc.publish(attemptSubject(r.eventId), body, { headers: headers as unknown as MsgHdrs })
      } catch (e) {
        failed++
        error ??= e
      }
    }
    if (failed > 0) this.options.logger?.warn({ failed, error: String(error) }, 'attempt log records could not be sent')
  }

  /** Publishes what is buffered and waits until NATS has it (or logs why not). */
  async close(): Promise<void> {
    this.flush()
    if (this.nc.isClosed()) return
    await this.nc.flush().catch((e: unknown) => {
      this.options.logger?.warn({ error: String(e) }, 'attempt log records could not be confirmed')
    })
  }
}

/** Event and profile ids, cycle and attempt numbers: nothing a header value must not hold. */
const PLAIN_ID = /^[A-Za-z0-9_:-]+$/

/** What nats.js's publish asks of a message's headers: their bytes. */
interface EncodedHeaders {
  encode(): Uint8Array
}

/**
 * A record's NATS message: its headers (the Nats-Msg-Id) and JSON body, from one string
 * and one encode. nats.js asks a message's headers only to encode() themselves; building a
 * MsgHdrs per record, checking and encoding it, then encoding the body apart, was most of
 * the log's cost in the daemon's profile. An id that is not plain goes through nats.js's
 * own headers.
 */
function encodedRecord(enc: InstanceType<typeof TextEncoder>, r: AttemptRecord): { headers: EncodedHeaders; body: Uint8Array } {
  const id = `${r.eventId}:${r.profile}:${r.cycle}:${r.attempt}`
  const json = JSON.stringify(r)
  if (!PLAIN_ID.test(id)) {
    const h = natsHeaders()
    h.set('Nats-Msg-Id', id)
    return { headers: h as unknown as EncodedHeaders, body: enc.encode(json) }
  }
  // The header block is ASCII: its length in bytes is its length in characters.
  const head = `NATS/1.0\r\nNats-Msg-Id: ${id}\r\n\r\n`
  const all = enc.encode(head + json)
  const headBytes = all.subarray(0, head.length)
  return { headers: { encode: () => headBytes }, body: all.subarray(head.length) }
}

/** The daemon's attempt log and ack batch, sharing the end of each turn (one write for both). */
export function endOfTurnWriters(nc: NatsConnection, logger: Logger): { attemptLog: AttemptLog; acks: AckBatch } {
  const turn = new EndOfTurn()
  return { attemptLog: new AttemptLog(nc, { logger, turn }), acks: new AckBatch(turn) }
}

/** Every attempt of an event, in the order they were logged. */
export async function readAttempts(js: JetStreamClient, jsm: JetStreamManager, eventId: string): Promise<AttemptRecord[]> {
  const messages = await readStream(js, jsm, STREAMS.attempts, attemptSubject(eventId))
  const dec = new TextDecoder()
  const out: AttemptRecord[] = []
  for (const m of messages) {
    try {
      out.push(JSON.parse(dec.decode(m.data)) as AttemptRecord)
    } catch {
      // A record that is not JSON was not written by the daemon; leave it out.
    }
  }
  return out
}
