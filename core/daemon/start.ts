// The daemon: events on NATS in, callbacks out, nothing lost (DESIGN "Delivery pipeline").
//   CALLBACK_EVENTS ─ route ─┬─ one profile: delivered straight from the event (fast path)
//                            └─ fan-out: one fresh job per profile on CALLBACK_JOBS
//   a failed attempt: the next job (its not-before time in its headers) is published,
//   then the current message acked; the last failure, or one that is never retried,
//   becomes a dead letter. Every attempt goes to the attempt log, in batches.
// startDaemon only assembles the parts (README.md): consume.ts pulls, handle.ts handles a
// message, outcome.ts decides what follows an attempt, park.ts parks what must wait,
// topology.ts recreates streams a NATS lost; reload.ts, readiness.ts and shutdown.ts do
// what their names say.
import type { JetStreamManager, NatsConnection } from 'nats'
import type { Registry } from 'prom-client'
import { loadConfig, type LoadedConfig, type Settings } from '../config/settings'
import { formatDiagnostic } from '../diagnostics'
import { CallbackRouterError } from '../errors'
import { createDeliverer } from '../delivery/deliver'
import { createTracing } from '../tracing'
import { createDispatcher } from '../delivery/dispatcher'
import { Slots } from '../delivery/slots'
import { endOfTurnWriters } from '../jetstream/attempt-log'
import { connectNats, maxEventBytes, whileUnavailable } from '../jetstream/connection'
import { ackWaitMs, ensureConsumers, ensureStreams } from '../jetstream/streams'
import { createLogger, type Logger } from '../logger'
import { startConsuming } from './consume'
import type { DaemonContext } from './context'
import { eventHandler, jobHandler } from './handle'
import { createMetrics, type DaemonMetrics } from './metrics'
import { buildSnapshot, ProfileStore } from './profile-store'
import { watchReadiness, type ReadyState } from './readiness'
import { createReloader, type Reloader } from './reload'
import { joinCluster, type Cluster } from './cluster'
import { createShutdown } from './shutdown'
import { watchTopology } from './topology'
import { createHealth, healthApi, type Health, type HealthApi } from './health'
import { startKeeper } from './health-keeper'

export { overflowThreshold } from './park'
export type { ReadyState }

export interface DaemonOptions {
  /** Settings file; default CALLBACK_ROUTER_CONFIG, then config/callback-router.json. */
  configFile?: string
  env?: NodeJS.ProcessEnv
  /** Overrides the settings' (and NATS_URL's) servers. */
  natsServers?: string[]
  logger?: Logger
  /** Watch profilesDir for changes (default true). */
  watchProfiles?: boolean
}

export interface Daemon {
  /** For /readyz: connected to NATS, consumers pulling, profiles loaded, not stopping. */
  ready(): ReadyState
  /** The Prometheus registry for /metrics. */
  metrics: Registry
  /** The settings and the profiles in use (the last good set). */
  config(): LoadedConfig
  /** Reloads the profiles; an invalid set is refused and the last good set stays. */
  reload(): Promise<{ ok: boolean; errors: string[] }>
  /** Stops pulling, lets in-flight deliveries finish (up to shutdownGraceSeconds), flushes the attempt log, closes NATS. */
  stop(): Promise<void>
  nc: NatsConnection
  /** Endpoint health: each profile's state shared by every daemon, and Pause / Resume. */
  health: HealthApi
  /** Resolves when the daemon has stopped (by stop() or by losing NATS for good). */
  closed: Promise<void>
}

/** The settings and profiles, checked and compiled; any error refuses the start. */
async function loadChecked(options: DaemonOptions, env: NodeJS.ProcessEnv): Promise<{ loaded: LoadedConfig; logger: Logger; built: ReturnType<typeof buildSnapshot> }> {
  const loaded = await loadConfig({ configFile: options.configFile, env })
  const logger = options.logger ?? createLogger(loaded.settings.log.level)
  const errors = loaded.diagnostics.filter((d) => d.level === 'error').map((d) => formatDiagnostic(d))
  for (const d of loaded.diagnostics) if (d.level !== 'error') logger.warn(formatDiagnostic(d))
  const built = buildSnapshot(loaded.profiles, loaded.registry, loaded.settings.delivery.defaultTimeoutMs)
  errors.push(...built.failures.map((f) => f.message))
  if (errors.length) throw new CallbackRouterError('DAEMON_CONFIG', [errors.join('\n')], undefined, { lines: errors })
  return { loaded, logger, built }
}

/** Streams, consumers and the health bucket, created or updated; on failure the daemon leaves and disconnects. */
async function prepareJetStream(nc: NatsConnection, jsm: JetStreamManager, settings: Settings, ackWait: number, health: Health, cluster: Cluster): Promise<void> {
  try {
    // Daemons started together on a fresh cluster race to create the same replicated streams.
    await whileUnavailable(() => ensureStreams(jsm, settings))
    await whileUnavailable(() => ensureConsumers(jsm, settings, { ackWaitMs: ackWait, concurrency: settings.delivery.concurrency }))
    await whileUnavailable(() => health.open())
  } catch (e) {
    await cluster.leave()
    await nc.close().catch(() => undefined)
    throw e
  }
}

export async function startDaemon(options: DaemonOptions = {}): Promise<Daemon> {
  const env = options.env ?? process.env
  const { loaded, logger, built: first } = await loadChecked(options, env)
  const settings = loaded.settings
  let built = first

  const { nc, jsm } = await connectNats(settings, { servers: options.natsServers, baseDir: loaded.baseDir })
  const metrics = createMetrics(loaded.registry)
  let cluster: Cluster
  // A store change that comes before the reloader exists is applied as soon as it does.
  let reloader: Reloader | undefined // eslint-disable-line prefer-const -- assigned once the context exists
  let missedChange = false
  const onStoreChange = (): unknown => (reloader ? reloader.reload() : (missedChange = true))
  try {
    cluster = await joinCluster(nc, loaded, { env, logger, metrics, reload: onStoreChange })
    if (cluster.kv) {
      loaded.profiles = cluster.kv.profiles()
      built = buildSnapshot(loaded.profiles, loaded.registry, settings.delivery.defaultTimeoutMs)
    }
  } catch (e) {
    await nc.close().catch(() => undefined)
    throw e
  }
  const state = { stopping: false, ackWaitMs: ackWaitMs(built.snapshot.longestTimeoutMs(settings.delivery.defaultTimeoutMs)) }
  const store = new ProfileStore(built.snapshot)
  const js = nc.jetstream()
  const health = createHealth({ settings, logger, metrics, store, js, jsm, state })
  await prepareJetStream(nc, jsm, settings, state.ackWaitMs, health, cluster)

  const dispatcher = createDispatcher({ allow: settings.network.allow })
  const { maxResponseBytes, defaultRateLimit, concurrency } = settings.delivery
  const ctx: DaemonContext = {
    settings,
    logger,
    metrics,
    registry: loaded.registry,
    store,
    nc,
    js,
    jsm,
    deliverer: createDeliverer({ dispatcher, maxResponseBytes, defaultRateLimit, createLimiter: cluster.membership?.limiter }),
    ...endOfTurnWriters(nc, logger),
    slots: new Slots(concurrency),
    leases: new Map(),
    tracing: createTracing(env),
    maxEventBytes: maxEventBytes(nc),
    state,
    health,
  }
  const keeper = startKeeper(ctx, health)

  const consumption = startConsuming(ctx, { event: eventHandler(ctx), job: jobHandler(ctx) })
  const topology = watchTopology(ctx, consumption.restartPulls)
  const readiness = watchReadiness(ctx, consumption.running, topology, { cluster: cluster.membership ? () => cluster.membership!.view.initialized : undefined, profilesRevision: cluster.kv?.revision })
  const reload = createReloader(ctx, loaded, { env, watch: options.watchProfiles !== false, kv: cluster.kv })
  reloader = reload
  if (missedChange) void reload.reload()
  const shutdown = createShutdown(ctx, {
    stopPulling: consumption.stopPulling,
    closeWatchers: () => { reload.close(); readiness.close(); cluster.kv?.stop(); keeper.stop(); health.stop() },
    reloadSettled: reload.settled,
    loops: consumption.loops,
    dispatcher,
    leave: () => cluster.leave(),
  })

  logger.info({ profiles: built.snapshot.size, servers: nc.getServer(), concurrency, maxEventBytes: ctx.maxEventBytes }, 'daemon started')

  return {
    ready: readiness.ready,
    metrics: ctx.metrics.registry,
    config: reload.config,
    reload: reload.reload,
    stop: shutdown.stop,
    nc,
    health: healthApi(health),
    closed: shutdown.closed,
  }
}

export type { DaemonMetrics }
