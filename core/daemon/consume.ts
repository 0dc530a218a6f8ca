// Consuming: the three durable consumers (events, jobs, retries) pull into one pool of
// delivery slots. A loop waits for a slot (keeping the fetched message alive with
// working()), hands the message to its handler with a lease on the slot, and never waits
// for the delivery itself, so one slow endpoint holds one slot, not the loop. A consumer
// that fails is got again after a second, for as long as the daemon runs.
import type { ConsumerMessages, JsMsg } from 'nats'
import { CONSUMERS, STREAMS } from '../jetstream/streams'
import { sleep, type DaemonContext } from './context'
import { HandlingFailures, MAX_HANDLING_FAILURES, internalError, onHandlingFailure } from './failures'
import type { Handler } from './handle'

const PULL_EXPIRES_MS = 5000

export interface Consumption {
  /** Per durable consumer: pulling right now. */
  running: Record<string, boolean>
  /** Each loop ends when the daemon stops. */
  loops: Promise<void>[]
  /** Stops every pull (the loops end once `state.stopping` is set). */
  stopPulling(): void
  /** Ends the current pulls; each loop gets its consumer again (after it was recreated). */
  restartPulls(): void
}

export interface ConsumerHandlers {
  event: Handler
  job: Handler
}

export function startConsuming(ctx: DaemonContext, handlers: ConsumerHandlers): Consumption {
  const running: Record<string, boolean> = { [CONSUMERS.events]: false, [CONSUMERS.jobs]: false, [CONSUMERS.retries]: false }
  const iterators = new Set<ConsumerMessages>()
  const failures = new HandlingFailures()
  const loop = (durable: string, stream: string, handler: Handler): Promise<void> => consumeLoop(ctx, { durable, stream, handler, running, iterators, failures })
  return {
    running,
    loops: [loop(CONSUMERS.events, STREAMS.events, handlers.event), loop(CONSUMERS.jobs, STREAMS.jobs, handlers.job), loop(CONSUMERS.retries, STREAMS.jobs, handlers.job)],
    stopPulling() {
      for (const it of iterators) it.stop()
    },
    restartPulls() {
      for (const it of iterators) it.stop()
    },
  }
}

interface LoopSpec {
  durable: string
  stream: string
  handler: Handler
  running: Record<string, boolean>
  iterators: Set<ConsumerMessages>
  failures: HandlingFailures
}

async function consumeLoop(ctx: DaemonContext, spec: LoopSpec): Promise<void> {
  const { durable } = spec
  const state = ctx.state
  while (!state.stopping) {
    let iter: ConsumerMessages | undefined
    try {
      const consumer = await ctx.js.consumers.get(spec.stream, durable)
      // A pull request lives on the consumer's leader only: when a cluster node dies, the new
      // leader knows none and nothing arrives until the client notices two missed heartbeats
      // (half of `expires` each). The default 30 s stalled a 3-node cluster's deliveries for
      // 35 s after a node kill; 5 s costs one pull per consumer every 5 s when idle.
      iter = await consumer.consume({ max_messages: Math.max(8, Math.min(256, ctx.settings.delivery.concurrency)), expires: PULL_EXPIRES_MS })
      spec.iterators.add(iter)
      spec.running[durable] = true
      for await (const m of iter) {
        // Stopping: leave the message unacknowledged; JetStream hands it to another
        // daemon after ack_wait. (A nak here was measured to get the message delivered
        // twice by nats-server 2.9 when another daemon pulls at the same time.)
        if (state.stopping) continue
        if (!ctx.slots.tryAcquire()) await ctx.slots.acquire(() => m.working(), Math.max(1000, state.ackWaitMs / 3))
        if (state.stopping) {
          ctx.slots.release()
          continue
        }
        dispatch(ctx, spec, m)
      }
    } catch (e) {
      if (!state.stopping) ctx.logger.error({ err: e, consumer: durable }, 'consumer stopped; restarting')
    } finally {
      spec.running[durable] = false
      if (iter) spec.iterators.delete(iter)
    }
    if (!state.stopping) await sleep(1000)
  }
}

/**
 * Runs the handler on a message holding a slot; the lease gives the slot back once. A
 * message that already failed MAX_HANDLING_FAILURES times (its dead letter could not be
 * written then) goes straight to its internal_error dead letter.
 */
function dispatch(ctx: DaemonContext, spec: LoopSpec, m: JsMsg): void {
  const { durable, failures } = spec
  let held = true
  const lease = (): void => {
    if (!held) return
    held = false
    ctx.leases.delete(m)
    ctx.slots.release()
  }
  ctx.leases.set(m, lease)
  const failed = failures.size === 0 ? undefined : failures.get(m)
  const handling = failed && failed.count >= MAX_HANDLING_FAILURES ? internalError(ctx, failures, m) : spec.handler(m)
  // One reaction per message on the common path (a then/catch/finally chain was three).
  handling.then(
    () => {
      lease()
      failures.forget(m)
    },
    (e: unknown) => {
      onHandlingFailure(ctx, failures, durable, m, e)
        .catch((err: unknown) => ctx.logger.error({ err, consumer: durable }, 'handling failure could not be recorded'))
        .finally(lease)
    },
  )
}
