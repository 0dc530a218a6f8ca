// The JSON documents the CLI's listings print (DESIGN "CLI", `--json`), which the web
// console's API serves too. Type-only and import-free, so the browser bundle shares them.

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
