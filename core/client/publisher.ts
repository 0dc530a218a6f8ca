// `callback-router/client`: the publisher for upstream systems. Typed per channel and event
// from the payload schemas (core/generated/payloads.ts), checked with the same schemas the
// daemon uses before anything is sent, published with the event id as Nats-Msg-Id so the
// stream drops repeats, and carrying the active span's `traceparent`.
import { connect, headers as natsHeaders, type ConnectionOptions, type MsgHdrs, type NatsConnection } from 'nats'
import { context, propagation } from '@opentelemetry/api'
import type { ChannelEvents } from '../generated/payloads'
import { builtins } from '../../plugins'
import { checkPlugin, type ChannelPlugin } from '../plugin/contract'
import { PluginRegistry } from '../plugin/registry'
import { maxEventBytes } from '../jetstream/connection'
import { CallbackRouterError } from '../errors'
import { prepareEvent, type EventToPublish } from './envelope'

export interface PublisherOptions {
  /** NATS URLs; the publisher connects on first use and `close()` drains the connection. */
  servers?: string | string[]
  /** An open connection to use instead; `close()` leaves it open. */
  nc?: NatsConnection
  /** The daemon's `nats.subjectPrefix`; default `callbacks`. */
  subjectPrefix?: string
  /** External plugins whose events may be published too (the same modules the daemon's `plugins` lists). */
  plugins?: ChannelPlugin[]
  /** More options for `connect()` when `servers` is given: credentials, TLS, name. */
  connectionOptions?: Omit<ConnectionOptions, 'servers'>
  /** How long to wait for the stream's acknowledgement, ms (default 5000). */
  timeoutMs?: number
}

/** The stream's answer. `duplicate`: an event with this id is already in the stream; it was dropped. */
export interface PublishResult {
  id: string
  subject: string
  stream: string
  seq: number
  duplicate: boolean
}

/**
 * A publisher typed by `Events`: channel -> event -> type of `data`. The default covers the
 * built-ins; add external channels with `createPublisher<ChannelEvents & { rcs: { … } }>`.
 */
export interface Publisher<Events = ChannelEvents> {
  publish<C extends keyof Events & string, E extends keyof Events[C] & string>(channel: C, event: E, input: EventToPublish<Events[C][E]>): Promise<PublishResult>
  /** Drains the connection the publisher opened (not one passed as `nc`). */
  close(): Promise<void>
}

const SET_HEADER = { set: (carrier: MsgHdrs, key: string, value: string) => carrier.set(key, value) }

/** The active context's trace headers (`traceparent`, `tracestate`), through the registered propagator. */
function traceHeaders(): MsgHdrs | undefined {
  const h = natsHeaders()
  propagation.inject(context.active(), h, SET_HEADER)
  return h.keys().length > 0 ? h : undefined
}

export function createPublisher<Events = ChannelEvents>(options: PublisherOptions): Publisher<Events> {
  const registry = new PluginRegistry(builtins)
  for (const p of options.plugins ?? []) {
    const problems = checkPlugin(p)
    if (problems.length) throw new CallbackRouterError('CONFIG_PLUGIN_INVALID', [(p as { name?: string })?.name ?? '(unnamed)', problems.join('; ')])
    registry.add(p)
  }
  return createPublisherFor<Events>(registry, options)
}

/** A publisher over a loaded registry (the CLI's, with the settings' external plugins). */
export function createPublisherFor<Events = ChannelEvents>(registry: PluginRegistry, options: Omit<PublisherOptions, 'plugins'>): Publisher<Events> {
  if (!options.nc && !options.servers) throw new TypeError('createPublisher needs servers or nc')
  const prefix = options.subjectPrefix ?? 'callbacks'
  const timeout = options.timeoutMs ?? 5000
  let connecting: Promise<NatsConnection> | undefined
  const connection = (): Promise<NatsConnection> => {
    if (options.nc) return Promise.resolve(options.nc)
    connecting ??= connect({ ...options.connectionOptions, servers: options.servers })
    return connecting
  }
  return {
    async publish(channel, event, input) {
      // Every check runs before connecting: a faulty event never reaches NATS.
      const prepared = prepareEvent(registry, prefix, channel, event, input as EventToPublish<unknown>)
      const nc = await connection()
      const limit = maxEventBytes(nc)
      if (prepared.bytes.length > limit) throw new CallbackRouterError('PUBLISH_TOO_LARGE', [prepared.bytes.length, limit], '')
      const id = prepared.envelope.id
      const ack = await nc.jetstream().publish(prepared.subject, prepared.bytes, { msgID: id, headers: traceHeaders(), timeout })
      return { id, subject: prepared.subject, stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate }
    },
    async close() {
      if (options.nc || !connecting) return
      const nc = await connecting.catch(() => undefined)
      connecting = undefined
      await nc?.drain().catch(() => nc.close())
    },
  }
}
