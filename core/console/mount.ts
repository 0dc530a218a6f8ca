// Wires the console to a running daemon: its configuration and reload, the KV profile
// store, dead letters and attempt log on its NATS connection, its endpoint health (Pause,
// Resume), and a Test button that sends through a deliverer under the same network policy. `start` mounts the result
// on the status server under /console when console.enabled is true.
import type { JetStreamManager, KV, NatsConnection } from 'nats'
import type { LoadedConfig } from '../config/settings'
import { createDispatcher } from '../delivery/dispatcher'
import { createDeliverer } from '../delivery/deliver'
import { listDeadLetters, replayDeadLetter, showDeadLetter } from '../jetstream/dead-letters'
import { readAttempts } from '../jetstream/attempt-log'
import { openProfileBucket } from '../jetstream/profile-bucket'
import { createConsoleHandler, CONSOLE_PREFIX, type ConsoleHandler, type ConsoleDeps } from './handler'
import type { HealthActions } from './routes'
import { consoleToken } from './auth'
import { sendTestCallback } from './test-callback'

export interface ConsoleDaemon {
  config(): LoadedConfig
  reload(): Promise<unknown>
  nc?: NatsConnection
  /** With the KV store, `profilesRevision` is the bucket revision this daemon has applied. */
  ready?(): { profilesRevision?: number }
  health?: HealthActions
}

/** DESIGN: every daemon applies a bucket change within 2 s. */
const APPLY_WITHIN_MS = 2000
const APPLY_LOOK_MS = 20

/** Resolves once the daemon has applied the bucket up to `revision`, or after 2 s (the answer then says nothing it cannot know). */
async function appliedBy(daemon: ConsoleDaemon, revision: number): Promise<void> {
  const deadline = Date.now() + APPLY_WITHIN_MS
  while ((daemon.ready?.().profilesRevision ?? revision) < revision && Date.now() < deadline) await new Promise((r) => setTimeout(r, APPLY_LOOK_MS))
}

export interface DaemonConsoleOptions {
  env?: NodeJS.ProcessEnv
  log?: ConsoleDeps['log']
  assetsDir?: string
}

export interface DaemonConsole {
  handler: ConsoleHandler
  close(): Promise<void>
}

/** Throws CallbackRouterError CONSOLE_TOKEN_MISSING or CONSOLE_TOKEN_SHORT when the token will not do. */
export function createDaemonConsole(daemon: ConsoleDaemon, options: DaemonConsoleOptions = {}): DaemonConsole {
  const env = options.env ?? process.env
  const token = consoleToken(env)
  const settings = daemon.config().settings
  const dispatcher = createDispatcher({ allow: settings.network.allow })
  // Its own deliverer: a Test never takes a rate-limit slot from real deliveries.
  const deliverer = createDeliverer({ dispatcher, maxResponseBytes: settings.delivery.maxResponseBytes, defaultRateLimit: settings.delivery.defaultRateLimit })
  const nc = daemon.nc
  let jsm: Promise<JetStreamManager> | undefined
  const manager = () => (jsm ??= nc!.jetstreamManager())
  let bucket: Promise<KV> | undefined
  const profileBucket = () => (bucket ??= openProfileBucket(nc!.jetstream(), settings.nats.replicas).catch((e: unknown) => {
    bucket = undefined
    throw e
  }))

  const handler = createConsoleHandler({
    getConfig: () => daemon.config(),
    reload: () => daemon.reload(),
    testCallback: (profile) =>
      sendTestCallback(profile, daemon.config().registry, {
        deliverer,
        defaultTimeoutMs: daemon.config().settings.delivery.defaultTimeoutMs,
      }),
    deadLetters: nc
      ? {
          list: async (filter) => listDeadLetters(nc.jetstream(), await manager(), filter),
          show: async (id) => showDeadLetter(nc.jetstream(), await manager(), id),
          replay: async (id) => replayDeadLetter(nc.jetstream(), await manager(), id),
        }
      : undefined,
    attempts: nc ? async (eventId) => readAttempts(nc.jetstream(), await manager(), eventId) : undefined,
    profileBucket: nc && settings.profileStore === 'kv' ? profileBucket : undefined,
    profilesApplied: (revision) => appliedBy(daemon, revision),
    health: daemon.health,
    token,
    env,
    assetsDir: options.assetsDir,
    log: options.log,
  })
  return { handler, close: () => dispatcher.close() }
}

/** Mounts the console on a status server; returns what to close on shutdown. */
export function mountConsole(status: { mount(prefix: string, handler: ConsoleHandler): void }, daemon: ConsoleDaemon, options: DaemonConsoleOptions = {}): DaemonConsole {
  const c = createDaemonConsole(daemon, options)
  status.mount(CONSOLE_PREFIX, c.handler)
  return c
}
