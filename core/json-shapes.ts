// The JSON documents the CLI's listings print (DESIGN "CLI", `--json`), which the web
// console's API serves too, and the console API's own answers. Type-only and import-free,
// so the browser bundle shares them.

export type VariableType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array'

/** One dynamic variable of a catalog: `variables --json` and the console's pane. */
export interface VariableSpec {
  /** Dotted path into data (`a.b`, `items[n].id`); never starts with `_`. */
  name: string
  type: VariableType
  description: string
  /** Put together, the examples of an event form a valid sample `data`. */
  example: unknown
}

/** A configuration problem as the console shows it: the file's name only, not the server's paths. */
export interface PublicDiagnostic {
  level: 'error' | 'warning' | 'note'
  code: string
  /** The file's base name. */
  file: string
  /** JSON pointer inside the file ('' = the whole document). */
  pointer: string
  message: string
}

/** A channel as the console's form offers it. */
export interface ChannelMeta {
  name: string
  /** The plugin's title: the channel's label on the page. */
  title: string
  catchAll: boolean
  events: string[]
  retry: { maxRetries: number; intervalSeconds: number; backoff: string }
}

/** The console API's `GET /meta`: what the form offers. */
export interface Meta {
  channels: ChannelMeta[]
  formats: string[]
  methods: string[]
  algorithms: string[]
  defaultTimeoutMs: number
  deadLetters: boolean
  attempts: boolean
}

/** `profiles --json`: one row per profile. */
export interface ProfileRow {
  id: string
  title: string
  account: string
  channel: string
  /** The events it receives: as written, else every event of its channel (`["*"]`: any event). */
  events: string[]
  method: string
  endpoint: string
  enabled: boolean
  /** Endpoint health, shared by every daemon: closed (sending), open (breaker), paused. */
  state: 'closed' | 'open' | 'paused' | 'unknown'
  /** Why: consecutive_failures, probe_failed, gone, open_too_long, operator; null when closed; `unknown`: NATS unreachable. */
  stateReason: string | null
}

/** An operational event on callback-router.ops.profile.<event> (DESIGN "Endpoint health"). */
export interface OpsEvent {
  profile: string
  account: string
  event: 'breaker_opened' | 'breaker_closed' | 'paused' | 'resumed' | 'held_expired'
  reason: string
  /** ISO-8601 UTC. */
  at: string
  /** Deliveries of the profile held when the event was emitted. */
  held: number
}

/** DESIGN's `dead-letters list --json` shape. */
export interface DeadLetterEntry {
  id: string
  eventId: string | null
  profile: string | null
  reason: string
  detail: string
  at: string
  attempts: number
}

/** DESIGN's `attempts --json` shape. */
export interface AttemptRecord {
  eventId: string
  profile: string
  cycle: number
  /** From 1 within a cycle. */
  attempt: number
  /** ISO-8601 UTC. */
  at: string
  status: number | null
  error: string | null
  latencyMs: number
}
