// The daemon's Prometheus metrics (DESIGN "Metrics"), on a registry of its own so that
// several daemons in one process (tests) don't collide. Label values are bounded:
// channel and event only from the loaded plugins' names, anything else 'other'.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import { FastHistogram } from './histogram'
import type { PluginRegistry } from '../plugin/registry'

export interface DaemonMetrics {
  registry: Registry
  eventsReceived: Counter<'channel' | 'event'>
  eventsInvalid: Counter<'reason'>
  deliveries: Counter<'channel' | 'event' | 'outcome'>
  attemptDuration: FastHistogram
  retriesScheduled: Counter<string>
  deferred: Counter<string>
  deadLetters: Counter<'reason'>
  /** callback_router_in_flight + 1 / − 1: a number, set on the gauge when it is read. */
  attemptStarted(): void
  attemptEnded(): void
  configReloads: Counter<'result'>
  consumerPending: Gauge<'consumer'>
  retriesWaiting: Gauge<string>
  /** Gives callback_router_deliveries_waiting its source, read when scraped (the deliverer's count). */
  countWaiting(source: () => number): void
  streamMessages: Gauge<'stream'>
  daemons: Gauge<string>
  profilesRevision: Gauge<string>
  profilesRefused: Counter<string>
  /** Watches of CALLBACK_PROFILES / CALLBACK_DAEMONS that ended or failed to start, each tried again. */
  kvWatchRestarts: Counter<'bucket'>
  /** 1 for a profile's current health state, 0 for the others (closed, open, paused). */
  profileState: Gauge<'profile' | 'state'>
  heldEvents: Gauge<'profile'>
  breakerTransitions: Counter<'to'>
  /** Bounded label values for a channel/event pair. */
  labels(channel: string | null, event: string | null): { channel: string; event: string }
  /** deliveries{channel,event,outcome} + 1, added to the counter when it is read (the hot path). */
  countDelivery(channel: string, event: string, outcome: string): void
  /** events_received{channel,event} + 1, added to the counter when it is read. */
  countReceived(channel: string | null, event: string | null): void
}

/**
 * Counts of a labelled counter kept as plain numbers per bounded label set, and added to
 * the counter when it is read (a scrape, `get()`): prom-client hashes the label values on
 * every inc(), even through a label child, which was 2-3 % of the daemon's CPU in the bench
 * profile at one inc per event and per delivery.
 */
class DeferredCounts {
  private readonly entries = new Map<string, { values: string[]; n: number }>()

  /** One more for the label values `key` joins with NUL (label values never hold one). */
  bump(key: string): void {
    const e = this.entries.get(key)
    if (e === undefined) this.entries.set(key, { values: key.split('\u0000'), n: 1 })
    else e.n++
  }

  /** Adds what was counted since the last read. */
  drainInto(counter: Counter<string>): void {
    for (const e of this.entries.values()) {
      if (e.n === 0) continue
      counter.labels(...e.values).inc(e.n)
      e.n = 0
    }
  }
}

/** A gauge whose value is read from `source` when it is scraped. */
function gaugeReadWhenScraped(registers: Registry[], name: string, help: string, source: () => number): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(source())
    },
  })
}

export function createMetrics(plugins: PluginRegistry, options: { defaultMetrics?: boolean } = {}): DaemonMetrics {
  const registry = new Registry()
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'callback_router_' })
  const registers = [registry]
  const delivered = new DeferredCounts()
  const received = new DeferredCounts()
  let inFlight = 0
  // Read when scraped: counting on every acquire would cost the hot path.
  let waiting: () => number = () => 0
  gaugeReadWhenScraped(registers, 'callback_router_deliveries_waiting', "Deliveries waiting in this process's memory for their profile's rate-limit slot; past a profile's overflow threshold further ones are parked on JetStream instead.", () => waiting())
  gaugeReadWhenScraped(registers, 'callback_router_in_flight', 'Deliveries in flight in this process.', () => inFlight)
  const m: DaemonMetrics = {
    registry,
    eventsReceived: new Counter({
      name: 'callback_router_events_received_total',
      help: 'Events read from CALLBACK_EVENTS.',
      labelNames: ['channel', 'event'],
      registers,
      collect() {
        received.drainInto(this)
      },
    }),
    eventsInvalid: new Counter({ name: 'callback_router_events_invalid_total', help: 'Events that became dead letters at routing, by reason.', labelNames: ['reason'], registers }),
    deliveries: new Counter({
      name: 'callback_router_deliveries_total',
      help: 'Delivery attempts by outcome (delivered, failed, refused, render_failed).',
      labelNames: ['channel', 'event', 'outcome'],
      registers,
      collect() {
        delivered.drainInto(this)
      },
    }),
    attemptDuration: new FastHistogram('callback_router_attempt_duration_seconds', 'Duration of one delivery attempt.', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers),
    retriesScheduled: new Counter({ name: 'callback_router_retries_scheduled_total', help: 'Retry jobs published after a failed attempt.', registers }),
    deferred: new Counter({ name: 'callback_router_deliveries_deferred_total', help: 'Deliveries parked on the retry consumer because their profile already had a full queue (hanging endpoint, or arrivals far above its rate limit).', registers }),
    deadLetters: new Counter({ name: 'callback_router_dead_letters_total', help: 'Dead letters written, by reason.', labelNames: ['reason'], registers }),
    attemptStarted() {
      inFlight++
    },
    attemptEnded() {
      inFlight--
    },
    configReloads: new Counter({ name: 'callback_router_config_reloads_total', help: 'Profile reloads by result (success, failure).', labelNames: ['result'], registers }),
    consumerPending: new Gauge({ name: 'callback_router_consumer_pending', help: 'Messages not yet delivered to the daemons, per durable consumer.', labelNames: ['consumer'], registers }),
    daemons: new Gauge({ name: 'callback_router_daemons', help: 'Live daemons seen in CALLBACK_DAEMONS, this one included (they share every rateLimit).', registers }),
    profilesRevision: new Gauge({ name: 'callback_router_profiles_revision', help: 'Revision of the KV profile store (CALLBACK_PROFILES) this daemon has applied; 0 with the files store.', registers }),
    profilesRefused: new Counter({ name: 'callback_router_profiles_refused_total', help: 'Values of the KV profile store refused by the checks (the profile kept its last good version).', registers }),
    kvWatchRestarts: new Counter({ name: 'callback_router_kv_watch_restarts_total', help: 'Watches of a shared bucket (CALLBACK_PROFILES, CALLBACK_DAEMONS) that ended (stream deleted or replaced, connection lost) or could not start again, each followed by a new try.', labelNames: ['bucket'], registers }),
    retriesWaiting: new Gauge({ name: 'callback_router_retries_waiting', help: 'Retry jobs waiting for their time (pending and parked).', registers }),
    streamMessages: new Gauge({ name: 'callback_router_stream_messages', help: 'Messages stored per stream (events, jobs, dead letters, ops), as NATS reports them.', labelNames: ['stream'], registers }),
    profileState: new Gauge({ name: 'callback_router_profile_state', help: "1 for each profile's endpoint health state (closed, open, paused), 0 for the other two; shared by every daemon.", labelNames: ['profile', 'state'], registers }),
    heldEvents: new Gauge({ name: 'callback_router_held_events', help: 'Deliveries held on JetStream per profile (breaker open or paused), all daemons together.', labelNames: ['profile'], registers }),
    breakerTransitions: new Counter({ name: 'callback_router_breaker_transitions_total', help: 'Health state changes this daemon made, by the state entered (open, closed, paused).', labelNames: ['to'], registers }),
    labels(channel, event) {
      const plugin = channel ? plugins.get(channel) : undefined
      if (!plugin) return { channel: 'other', event: 'other' }
      const known = event !== null && Object.prototype.hasOwnProperty.call(plugin.events, event) && event !== '*'
      return { channel: plugin.name, event: known ? event : 'other' }
    },
    countDelivery(channel, event, outcome) {
      const l = m.labels(channel, event)
      delivered.bump(`${l.channel}\u0000${l.event}\u0000${outcome}`)
    },
    countReceived(channel, event) {
      const l = m.labels(channel, event)
      received.bump(`${l.channel}\u0000${l.event}`)
    },
    countWaiting(source) {
      waiting = source
    },
  }
  return m
}
