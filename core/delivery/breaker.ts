// Endpoint health of one profile (DESIGN "Endpoint health"), as a pure state machine:
// the state every daemon shares through the KV bucket CALLBACK_PROFILE_STATE, and what
// each outcome, operator action or clock tick makes of it. I/O (the KV compare-and-set,
// ops events, holding messages) lives in core/daemon/profile-state.ts and health.ts.
//
//            failures ≥ breakerFailures                 410 Gone · pause · open ≥ pauseAfterMinutes
//   closed ──────────────────────────────> open ─────────────────────────────────────> paused
//     ^  <── a 2xx (probe) ──────────────── │ ^                                          │
//     │                                    probe fails: open time doubles (≤ 10 min)    │
//     └──────────────────────────────────────── resume ─────────────────────────────────┘

export type HealthStateName = 'closed' | 'open' | 'paused'

/** Why a profile is in its state; null while closed and healthy. */
export type StateReason = 'consecutive_failures' | 'probe_failed' | 'gone' | 'open_too_long' | 'operator' | null

export type OpsEventName = 'breaker_opened' | 'breaker_closed' | 'paused' | 'resumed' | 'held_expired'

export interface HealthPolicy {
  /** 0: no breaker. */
  breakerFailures: number
  breakerOpenSeconds: number
  /** 0: never. */
  pauseAfterMinutes: number
  holdHours: number
  pauseOnGone: boolean
}

export const DEFAULT_HEALTH: HealthPolicy = { breakerFailures: 20, breakerOpenSeconds: 30, pauseAfterMinutes: 1440, holdHours: 72, pauseOnGone: true }

/** The longest an open breaker waits before a probe (DESIGN: at most 10 min). */
export const MAX_OPEN_MS = 600_000

export interface HealthState {
  state: HealthStateName
  reason: StateReason
  /** Consecutive failed attempts, all daemons counted. */
  failures: number
  /** Epoch ms the current state began. */
  since: number
  /** Epoch ms the breaker opened (kept while probes fail; for pauseAfterMinutes); 0 when closed. */
  openedAt: number
  /** How long the breaker stays open before the next probe. */
  openMs: number
  /** Epoch ms from which one probe may be sent (open only). */
  probeAt: number
  /** A daemon has claimed the probe until this epoch ms (a crashed prober's claim runs out). */
  probeUntil: number
}

export const CLOSED: HealthState = Object.freeze({ state: 'closed', reason: null, failures: 0, since: 0, openedAt: 0, openMs: 0, probeAt: 0, probeUntil: 0 })

/** A change: the next state, and the operational event it announces (if any). */
export interface Transition {
  next: HealthState
  event?: { name: OpsEventName; reason: string }
}

/** The profile's `health` over the settings' `delivery.health`, key by key. */
export function effectiveHealth(defaults: Partial<HealthPolicy> | undefined, own: Partial<HealthPolicy> | undefined): HealthPolicy {
  return { ...DEFAULT_HEALTH, ...strip(defaults), ...strip(own) }
}

function strip(p: Partial<HealthPolicy> | undefined): Partial<HealthPolicy> {
  const out: Partial<HealthPolicy> = {}
  for (const [k, v] of Object.entries(p ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}

export type Gate = 'send' | 'hold' | 'probe'

/**
 * What a due delivery may do now: closed sends; paused holds; open holds until probeAt,
 * then one delivery may become the probe (the caller claims it with claimProbe first).
 */
export function gate(s: HealthState, now: number): Gate {
  if (s.state === 'closed') return 'send'
  if (s.state === 'paused') return 'hold'
  return now >= s.probeAt && s.probeUntil <= now ? 'probe' : 'hold'
}

/** Claims the probe of an open breaker for leaseMs; null when it is not due or taken. */
export function claimProbe(s: HealthState, now: number, leaseMs: number): Transition | null {
  if (gate(s, now) !== 'probe') return null
  return { next: { ...s, probeUntil: now + leaseMs } }
}

function open(s: HealthState, now: number, policy: HealthPolicy, reason: StateReason): HealthState {
  const openMs = Math.min(MAX_OPEN_MS, policy.breakerOpenSeconds * 1000)
  return { ...s, state: 'open', reason, since: now, openedAt: now, openMs, probeAt: now + openMs, probeUntil: 0 }
}

function paused(s: HealthState, now: number, reason: StateReason): HealthState {
  return { ...s, state: 'paused', reason, since: now, probeAt: 0, probeUntil: 0 }
}

/** A 2xx. Closes an open breaker; null when nothing changes (the common case: no write). */
export function onSuccess(s: HealthState, now: number): Transition | null {
  if (s.state === 'open') return { next: { ...CLOSED, since: now }, event: { name: 'breaker_closed', reason: 'probe_succeeded' } }
  if (s.failures === 0) return null
  // A paused profile stays paused (a delivery in flight when it was paused): only the count clears.
  return { next: { ...s, failures: 0 } }
}

export interface FailureInfo {
  /** The endpoint answered 410 Gone. */
  gone: boolean
  /** This attempt was the open breaker's probe. */
  probe: boolean
}

/** A failed attempt (any non-2xx, timeout or network error). */
export function onFailure(s: HealthState, now: number, policy: HealthPolicy, info: FailureInfo): Transition {
  const failures = s.failures + 1
  if (info.gone && policy.pauseOnGone && s.state !== 'paused') {
    return { next: paused({ ...s, failures }, now, 'gone'), event: { name: 'paused', reason: 'gone' } }
  }
  if (s.state === 'closed') {
    if (policy.breakerFailures > 0 && failures >= policy.breakerFailures) {
      return { next: open({ ...s, failures }, now, policy, 'consecutive_failures'), event: { name: 'breaker_opened', reason: 'consecutive_failures' } }
    }
    return { next: { ...s, failures } }
  }
  if (s.state === 'open' && info.probe) {
    if (openTooLong(s, now, policy)) return { next: paused({ ...s, failures }, now, 'open_too_long'), event: { name: 'paused', reason: 'open_too_long' } }
    const openMs = Math.min(MAX_OPEN_MS, Math.max(s.openMs, 1) * 2)
    return { next: { ...s, failures, reason: 'probe_failed', openMs, probeAt: now + openMs, probeUntil: 0 } }
  }
  // A delivery that was in flight when the breaker opened or the profile paused.
  return { next: { ...s, failures } }
}

function openTooLong(s: HealthState, now: number, policy: HealthPolicy): boolean {
  return s.state === 'open' && policy.pauseAfterMinutes > 0 && now - s.openedAt >= policy.pauseAfterMinutes * 60_000
}

/** The clock: a breaker open for pauseAfterMinutes pauses the profile even between probes. */
export function onTick(s: HealthState, now: number, policy: HealthPolicy): Transition | null {
  if (!openTooLong(s, now, policy)) return null
  return { next: paused(s, now, 'open_too_long'), event: { name: 'paused', reason: 'open_too_long' } }
}

/** `profiles pause <id>` or the console's Pause; null when already paused. */
export function pause(s: HealthState, now: number): Transition | null {
  if (s.state === 'paused') return null
  return { next: paused(s, now, 'operator'), event: { name: 'paused', reason: 'operator' } }
}

/** `profiles resume <id>` or Resume: closed, with a clean count; null when already closed. */
export function resume(s: HealthState, now: number): Transition | null {
  if (s.state === 'closed') return null
  return { next: { ...CLOSED, since: now }, event: { name: 'resumed', reason: 'operator' } }
}

/** Reads a stored state, tolerating a value written by another version (missing keys closed). */
export function parseState(text: string): HealthState {
  try {
    const v = JSON.parse(text) as Partial<HealthState>
    if (v.state !== 'closed' && v.state !== 'open' && v.state !== 'paused') return CLOSED
    return { ...CLOSED, ...v }
  } catch {
    return CLOSED
  }
}
