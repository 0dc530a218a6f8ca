// Acks coalesced per event-loop turn. nats.js writes its outbound buffer in a microtask
// after the first queued command, so acks issued from separate HTTP responses (each its
// own macrotask) cost one write(2) each; the daemon's profile showed those writes as the
// largest single cost. Deferred to setImmediate, every ack of one loop turn (the responses
// read in one poll phase) goes out in one write. An ack still follows its delivery; it
// only waits for the end of the current turn.
import type { JsMsg } from 'nats'

export class AckBatch {
  private pending: JsMsg[] = []
  private scheduled = false

  ack(m: JsMsg): void {
    this.pending.push(m)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flush)
    }
  }

  /** Sends every deferred ack now. */
  readonly flush = (): void => {
    this.scheduled = false
    const list = this.pending
    if (list.length === 0) return
    this.pending = []
    for (const m of list) m.ack()
  }
}
