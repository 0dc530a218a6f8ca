// Reads every message of a stream (optionally one subject filter) once, in order, with an
// ordered consumer: what the listing commands (dead letters, attempts) need.
import type { JetStreamClient, JetStreamManager, JsMsg } from 'nats'

export interface ReadMessage {
  seq: number
  subject: string
  /** Epoch ms when the stream stored it. */
  time: number
  headers: JsMsg['headers']
  data: Uint8Array
}

export async function readStream(js: JetStreamClient, jsm: JetStreamManager, stream: string, filter?: string): Promise<ReadMessage[]> {
  if (filter) {
    try {
      await jsm.streams.getMessage(stream, { last_by_subj: filter })
    } catch {
      return []
    }
  } else {
    const info = await jsm.streams.info(stream)
    if (info.state.messages === 0) return []
  }
  const consumer = await js.consumers.get(stream, filter ? { filterSubjects: filter } : {})
  const out: ReadMessage[] = []
  const iter = await consumer.consume({ max_messages: 500 })
  try {
    for await (const m of iter) {
      out.push({ seq: m.seq, subject: m.subject, time: Math.floor(Number(m.info.timestampNanos) / 1e6), headers: m.headers, data: m.data })
      if (m.info.pending === 0) break
    }
  } finally {
    iter.stop()
  }
  return out
}
