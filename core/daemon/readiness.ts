// Readiness and the gauges that watch NATS: the connection's status (for /readyz) and,
// every 5 s, each consumer's pending count and each stream's size (for /metrics).
import { CONSUMERS, STREAMS, isNotFound } from '../jetstream/streams'
import type { DaemonContext } from './context'
import type { Topology } from './topology'

export interface ReadyState {
  ready: boolean
  checks: Record<string, boolean>
  /** With the KV profile store: the bucket revision applied. */
  profilesRevision?: number
}

export interface Readiness {
  /** For /readyz: connected to NATS, streams and consumers there and pulling, profiles loaded, not stopping. */
  ready(): ReadyState
  /** Stops the gauges' timer. */
  close(): void
}

const PENDING_EVERY_MS = 5000

export interface ReadinessExtras {
  /** Joined the cluster's membership (shares of the rate limits known). */
  cluster?: () => boolean
  profilesRevision?: () => number
}

export function watchReadiness(ctx: DaemonContext, running: Record<string, boolean>, topology: Topology, extras: ReadinessExtras = {}): Readiness {
  const { nc, logger } = ctx
  // Beside the pending gauges: what waits in memory rather than on JetStream, read when scraped.
  ctx.metrics.countWaiting(() => ctx.deliverer.waiting())
  let connected = true
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        connected = false
        logger.warn({ server: s.data }, 'NATS disconnected; reconnecting')
      } else if (s.type === 'reconnect') {
        connected = true
        logger.info({ server: s.data }, 'NATS reconnected')
        // The server may have come back without its store: check before answering ready.
        void topology.verify('reconnected')
      }
    }
  })().catch(() => undefined)

  const pendingTimer = setInterval(() => {
    updatePending(ctx).catch((e: unknown) => {
      if (isNotFound(e)) void topology.verify('a consumer is missing')
    })
  }, PENDING_EVERY_MS)
  pendingTimer.unref()

  return {
    ready() {
      const checks = {
        nats: connected && !nc.isClosed(),
        streams: topology.ok(),
        consumers: Object.values(running).every(Boolean),
        profiles: true,
        accepting: !ctx.state.stopping,
        ...(extras.cluster ? { cluster: extras.cluster() } : {}),
      }
      const ready = Object.values(checks).every(Boolean)
      return extras.profilesRevision ? { ready, checks, profilesRevision: extras.profilesRevision() } : { ready, checks }
    },
    close: () => clearInterval(pendingTimer),
  }
}

/** The streams whose size is a gauge; CALLBACK_OPS exists once endpoint health has written to it. */
const GAUGED_STREAMS = [STREAMS.events, STREAMS.jobs, STREAMS.dead, STREAMS.ops]

async function updateStreamGauges(ctx: DaemonContext): Promise<void> {
  for (const stream of GAUGED_STREAMS) {
    const info = await ctx.jsm.streams.info(stream).catch(() => undefined)
    if (info !== undefined) ctx.metrics.streamMessages.set({ stream }, info.state.messages)
  }
}

async function updatePending(ctx: DaemonContext): Promise<void> {
  await updateStreamGauges(ctx)
  for (const [stream, durable] of [[STREAMS.events, CONSUMERS.events], [STREAMS.jobs, CONSUMERS.jobs], [STREAMS.jobs, CONSUMERS.retries]] as const) {
    const info = await ctx.jsm.consumers.info(stream, durable)
    ctx.metrics.consumerPending.set({ consumer: durable }, info.num_pending)
    if (durable === CONSUMERS.retries) ctx.metrics.retriesWaiting.set(info.num_pending + info.num_ack_pending)
  }
}
