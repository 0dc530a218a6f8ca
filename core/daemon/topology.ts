// Keeping the streams and consumers there. A NATS can come back empty (a wiped volume, a
// replaced node): the connection returns, but CALLBACK_EVENTS and the consumers are gone
// and every publish is refused. After every reconnect, and whenever a consumer cannot be
// read, the daemon checks them, recreates what is missing as at start, and restarts its
// pulls; `/readyz` fails with the check `streams` until all is there again.
import { ensureConsumers, ensureStreams, isNotFound, CONSUMERS, STREAMS } from '../jetstream/streams'
import { sleep, type DaemonContext } from './context'

export interface Topology {
  /** false from a reconnect (or a missing stream or consumer) until every one is confirmed. */
  ok(): boolean
  /** Checks, and recreates what is missing; one check at a time, repeated until it succeeds. */
  verify(why: string): Promise<void>
}

const DURABLES = [[STREAMS.events, CONSUMERS.events], [STREAMS.jobs, CONSUMERS.jobs], [STREAMS.jobs, CONSUMERS.retries]] as const

/** Each stream and durable consumer the daemon needs is there. */
export async function topologyComplete(ctx: Pick<DaemonContext, 'jsm'>): Promise<boolean> {
  try {
    for (const name of Object.values(STREAMS)) await ctx.jsm.streams.info(name)
    for (const [stream, durable] of DURABLES) await ctx.jsm.consumers.info(stream, durable)
    return true
  } catch (e) {
    if (isNotFound(e)) return false
    throw e
  }
}

export function watchTopology(ctx: DaemonContext, restartPulls: () => void): Topology {
  let ok = true
  let running: Promise<void> | undefined
  const once = async (why: string): Promise<void> => {
    ok = false
    for (;;) {
      if (ctx.state.stopping) return
      try {
        if (!(await topologyComplete(ctx))) {
          ctx.logger.warn({ why }, 'NATS has lost streams or consumers; recreating them')
          await ensureStreams(ctx.jsm, ctx.settings)
          await ensureConsumers(ctx.jsm, ctx.settings, { ackWaitMs: ctx.state.ackWaitMs, concurrency: ctx.settings.delivery.concurrency })
          restartPulls()
          ctx.logger.info('streams and consumers recreated')
        }
        ok = true
        return
      } catch (e) {
        ctx.logger.warn({ err: e, why }, 'cannot check the streams yet; trying again')
        await sleep(1000)
      }
    }
  }
  return {
    ok: () => ok,
    verify(why) {
      running ??= once(why).finally(() => (running = undefined))
      return running
    },
  }
}
