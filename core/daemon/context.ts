// What the daemon's parts share: the connection, the settings, the profile store, the
// delivery machinery and a little mutable state. start.ts builds one; each part receives
// it and takes what it needs, so a new part (a profile store on KV, an endpoint breaker,
// tracing) is one more field here and one more module, not a change to the others.
import type { JetStreamClient, JetStreamManager, JsMsg, NatsConnection } from 'nats'
import type { Settings } from '../config/settings'
import type { PluginRegistry } from '../plugin/registry'
import type { Deliverer } from '../delivery/deliver'
import type { Slots } from '../delivery/slots'
import type { AckBatch } from '../jetstream/ack-batch'
import type { AttemptLog } from '../jetstream/attempt-log'
import type { Logger } from '../logger'
import type { Tracing } from '../tracing'
import type { DaemonMetrics } from './metrics'
import type { ProfileStore } from './profile-store'
import type { Health } from './health'

export interface DaemonState {
  /** stop() was called: no new pulls, no new deliveries. */
  stopping: boolean
  /** The consumers' ack_wait (it follows the longest profile timeout on reload). */
  ackWaitMs: number
}

export interface DaemonContext {
  settings: Settings
  logger: Logger
  metrics: DaemonMetrics
  registry: PluginRegistry
  store: ProfileStore
  nc: NatsConnection
  js: JetStreamClient
  jsm: JetStreamManager
  deliverer: Deliverer
  attemptLog: AttemptLog
  acks: AckBatch
  slots: Slots
  /** Gives a message's delivery slot back early (while it waits for its rate limit) or when its handler ends. */
  leases: Map<JsMsg, () => void>
  /** Spans of events and attempts; TRACING_OFF unless an OTLP endpoint is configured. */
  tracing: Tracing
  /** Largest accepted event in bytes (server max_payload less the dead letter's headroom). */
  maxEventBytes: number
  state: DaemonState
  /** Endpoint health: the breaker and pause gate, held deliveries (health.ts). */
  health: Health
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}
