// Shutdown: stop pulling, let in-flight deliveries finish (up to shutdownGraceSeconds),
// send the deferred acks and the attempt log, wait for a running reload, drain NATS.
// A delivery still running after the grace is left unacknowledged: JetStream hands it to
// another daemon after ack_wait.
import type { Dispatcher } from 'undici'
import { sleep, type DaemonContext } from './context'

export interface ShutdownParts {
  /** Stops the pulls (the consumer loops end by themselves). */
  stopPulling(): void
  /** Stops the watchers and timers that would start new work. */
  closeWatchers(): void
  /** Resolves when no reload is running. */
  reloadSettled(): Promise<unknown>
  loops: Promise<void>[]
  dispatcher: Dispatcher
  /** Leaves the cluster's membership, once nothing is in flight any more (the others then take its share). */
  leave?: () => Promise<void>
}

export interface Shutdown {
  /** Idempotent: every call returns the same promise. */
  stop(): Promise<void>
  /** Resolves when the daemon has stopped (by stop() or by losing NATS for good). */
  closed: Promise<void>
}

export function createShutdown(ctx: DaemonContext, parts: ShutdownParts): Shutdown {
  let resolveClosed: () => void = () => undefined
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve))
  let stopPromise: Promise<void> | undefined
  const run = async (): Promise<void> => {
    ctx.state.stopping = true
    parts.closeWatchers()
    parts.stopPulling()
    const graceMs = ctx.settings.delivery.shutdownGraceSeconds * 1000
    const finished = await Promise.race([ctx.slots.idle().then(() => true), sleep(graceMs).then(() => false)])
    if (!finished) ctx.logger.warn({ inFlight: ctx.slots.inUse }, 'shutdown grace over: unfinished deliveries will be redelivered')
    await parts.leave?.()
    // Records, then acks, as at the end of every turn; close() waits until NATS has both.
    ctx.attemptLog.flush()
    ctx.acks.flush()
    await ctx.attemptLog.close()
    await ctx.tracing.shutdown().catch(() => undefined)
    await parts.reloadSettled()
    await ctx.nc.drain().catch(() => ctx.nc.close())
    await Promise.race([Promise.allSettled(parts.loops), sleep(1000)])
    await parts.dispatcher.close().catch(() => undefined)
    ctx.logger.info('stopped')
    resolveClosed()
  }
  const stop = (): Promise<void> => {
    stopPromise ??= run()
    return stopPromise
  }
  ctx.nc
    .closed()
    .then(() => {
      if (!ctx.state.stopping) {
        ctx.logger.error('NATS connection closed')
        void stop()
      }
    })
    .catch(() => undefined)
  return { stop, closed }
}
