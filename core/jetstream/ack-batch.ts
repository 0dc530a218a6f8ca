// What the daemon sends NATS at the end of an event-loop turn: the turn's attempt-log
// records, then its acks, in one write. nats.js writes its outbound buffer in a microtask
// after the first queued command, so acks issued from separate HTTP responses (each its
// own macrotask) cost one write(2) each; the daemon's profile showed those writes as the
// largest single cost. Deferred to setImmediate, every ack of one loop turn (the responses
// read in one poll phase) goes out in one write. An ack still follows its delivery; it
// only waits for the end of the current turn.
import type { JsMsg } from 'nats'

/**
 * Flushers run together once per turn in which any of them had work (one setImmediate, so
 * one nats.js write for all of them: microtasks run between separate immediates).
 */
export class EndOfTurn {
  private readonly flushers: Array<() => void> = []
  private scheduled = false

  /** Adds a flusher; it runs, in the order added, at the end of every turn that called `due()`. */
  add(flush: () => void): void {
    this.flushers.push(flush)
  }

  /** Something waits: run the flushers at the end of this turn. */
  readonly due = (): void => {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(this.run)
  }

  /** Runs every flusher now. */
  readonly run = (): void => {
    this.scheduled = false
    for (const flush of this.flushers) flush()
  }
}

export class AckBatch {
  private pending: JsMsg[] = []

  constructor(private readonly turn: EndOfTurn = new EndOfTurn()) {
    turn.add(this.flush)
  }

  ack(m: JsMsg): void {
    this.pending.push(m)
    this.turn.due()
  }

  /** Sends every deferred ack now. */
  readonly flush = (): void => {
    const list = this.pending
    if (list.length === 0) return
    this.pending = []
    try {
      for (const m of list) m.ack()
    } catch {
      // nats.js throws once the connection is closed (a delivery that ended after shutdown
      // closed it): these messages stay unacknowledged and come back after ack_wait, as a
      // crash would leave them; a throw here, at the end of a turn, would end the process.
    }
  }
}
