// How the daemons of a cluster share one profile's rateLimit (DESIGN "Several daemons"),
// without a NATS round trip per request: every daemon sees the same membership (the
// heartbeats in CALLBACK_DAEMONS, each listing the profiles that daemon is waiting on) and
// computes the same split, a pure function of that view and the clock.
//
// The limit is cut into whole tokens: `perSecond` request starts per window (the window
// stretched for a fractional rate, as in rate-limit.ts) and `maxConcurrent` slots. A daemon
// holding k start tokens keeps at most k starts in any sliding window of its own, so the
// daemons' windows add up to at most the limit. Fractions of a token would not add up
// (three daemons each allowed one start per 3 s can still start together), so:
//   - every member keeps one token of each kind when there are enough for all, so a quiet
//     daemon sends its first request at once;
//   - the rest goes to the members that are waiting on the profile (all members when none
//     is), evenly; what does not divide evenly (and, with fewer tokens than members, every
//     token) rotates through them every epoch, so a daemon whose events land unevenly, or
//     a profile slower than the number of daemons (perSecond 1 across 3), still gets its turn.
// A change takes effect at once where a share shrinks, and only `increaseDelayMs` after the
// change where it grows: by then the shrinking daemon has seen the same change, its older
// starts have left every window, and its heartbeat reports the requests it still has in
// flight above its new share ("over"), which the others subtract from theirs.

export interface Share {
  /** Start tokens: at most this many request starts in any window. */
  starts: number
  /** Requests that may be in flight. */
  concurrency: number
}

/**
 * Splits `total` tokens among `members` (sorted ids), favouring `wanting`; see the header.
 * `need(m)` is what a member not waiting reported using lately: it keeps that much (at most
 * an even split), so a busy daemon that is not short keeps its pace when another one is.
 */
export function allocate(total: number, members: readonly string[], wanting: ReadonlySet<string>, epoch: number, need: (m: string) => number | undefined = () => undefined): Map<string, number> {
  const out = new Map<string, number>(members.map((m) => [m, 0]))
  if (!members.length || total <= 0) return out
  const anyWanting = members.some((m) => wanting.has(m))
  let rest = total
  if (total >= members.length) {
    const fair = Math.floor(total / members.length)
    for (const m of members) {
      const keep = anyWanting && !wanting.has(m) ? Math.min(fair, Math.max(1, need(m) ?? 1)) : 1
      out.set(m, keep)
      rest -= keep
    }
  }
  const pool = anyWanting ? members.filter((m) => wanting.has(m)) : [...members]
  const each = Math.floor(rest / pool.length)
  const extra = rest - each * pool.length
  const offset = extra ? epoch % pool.length : 0
  pool.forEach((m, i) => {
    const turn = (i - offset + pool.length) % pool.length
    out.set(m, (out.get(m) ?? 0) + each + (turn < extra ? 1 : 0))
  })
  return out
}

export interface MemberState {
  id: string
  /** Local time (Date.now()) the member's last heartbeat was seen. */
  seenAt: number
  /** Profiles the member is waiting on. */
  wants: ReadonlySet<string>
  /** Requests in flight above its share, per profile. */
  over: Readonly<Record<string, number>>
  /** What it used lately per profile: [starts, in flight], rounded up (see limiter need()). */
  need?: Readonly<Record<string, readonly [number, number]>>
}

export interface ViewTiming {
  /** A member not heard from for this long is gone. */
  aliveMs: number
  /** Added to max(window, heartbeat) before a share may grow. */
  marginMs: number
  heartbeatMs: number
  /** Shortest epoch of the rotation. */
  minEpochMs: number
}

export const DEFAULT_TIMING: ViewTiming = { aliveMs: 3500, marginMs: 500, heartbeatMs: 1000, minEpochMs: 5000 }

export interface Target extends Share {
  /** Wall-clock ms until which this target holds (a transition ends, an epoch turns), or Infinity. */
  validUntil: number
  /** Others' requests in flight above their shares. */
  othersOver: number
}

interface Snapshot {
  /** Local time from which this membership held. */
  from: number
  alive: string[]
  wants: Map<string, ReadonlySet<string>>
  need: Map<string, Readonly<Record<string, readonly [number, number]>>>
}

const NONE: Target = { starts: 0, concurrency: 0, validUntil: Infinity, othersOver: 0 }
/** Snapshots older than this (once replaced) can no longer matter: no window is that long. */
const KEEP_MS = 120_000

/**
 * The membership as this daemon sees it, and its history over the last few seconds: a share
 * is the smallest this daemon had in any membership and epoch of the last `delayMs`, which is
 * how a shrink applies at once and a growth only after the delay.
 */
export class ClusterView {
  private readonly members = new Map<string, MemberState>()
  private snapshots: Snapshot[] = []
  /** Moves on every change of the member set or of a member's wants. */
  version = 0

  constructor(readonly self: string, readonly timing: ViewTiming = DEFAULT_TIMING) {}

  /** Whether this daemon has seen the bucket once (nothing may be sent before). */
  get initialized(): boolean {
    return this.snapshots.length > 0
  }

  /**
   * The first full view. With other daemons alive this daemon held no share before, so it
   * grows from nothing after the delay; alone, it takes the whole limit at once. Called again
   * (a new watch of the bucket), the members are replaced and the shares move as on any
   * change: a shrink at once, a growth after the delay.
   */
  initialize(entries: readonly MemberState[], now: number): void {
    this.members.clear()
    for (const m of entries) this.members.set(m.id, m)
    if (this.initialized) return this.refresh(now)
    const alive = this.aliveAt(now)
    const others = alive.some((m) => m !== this.self)
    this.snapshots = others ? [{ from: -Infinity, alive: [], wants: new Map(), need: new Map() }] : []
    this.snapshots.push({ from: others ? now : -Infinity, alive, wants: this.wantsOf(alive), need: this.needOf(alive) })
    this.version++
  }

  /** A heartbeat seen, or a member's key deleted. */
  upsert(member: MemberState | { id: string; gone: true }, now: number): void {
    if ('gone' in member) this.members.delete(member.id)
    else this.members.set(member.id, member)
    if (this.initialized) this.refresh(now)
  }

  /** Drops members not heard from for aliveMs and records a change; call it every heartbeat too. */
  refresh(now: number): void {
    const alive = this.aliveAt(now)
    const wants = this.wantsOf(alive)
    const need = this.needOf(alive)
    const last = this.snapshots[this.snapshots.length - 1]
    if (last && sameMembers(last, alive, wants, need)) return
    this.snapshots.push({ from: now, alive, wants, need })
    while (this.snapshots.length > 2 && this.snapshots[1].from < now - KEEP_MS) this.snapshots.shift()
    this.version++
  }

  get alive(): readonly string[] {
    return this.snapshots[this.snapshots.length - 1]?.alive ?? []
  }

  /** The increase delay for a profile whose window is `windowMs`. */
  delayMs(windowMs: number): number {
    return Math.max(windowMs, this.timing.heartbeatMs) + this.timing.marginMs
  }

  epochMs(windowMs: number): number {
    return Math.max(this.timing.minEpochMs, 3 * this.delayMs(windowMs))
  }

  /** This daemon's share of a profile with `tokens` start tokens and `concurrency` slots, at `now` (wall clock). */
  target(profile: string, tokens: number, concurrency: number, windowMs: number, now: number): Target {
    if (!this.initialized) return NONE
    const delay = this.delayMs(windowMs)
    const epochMs = this.epochMs(windowMs)
    const epochs = [Math.floor(now / epochMs)]
    if (Math.floor((now - delay) / epochMs) !== epochs[0]) epochs.push(epochs[0] - 1)
    let starts = Infinity
    let conc = Infinity
    let validUntil = Infinity
    let rotating = false
    for (let i = this.snapshots.length - 1; i >= 0; i--) {
      const s = this.snapshots[i]
      const until = i + 1 < this.snapshots.length ? this.snapshots[i + 1].from : Infinity
      if (until <= now - delay) break
      if (until !== Infinity) validUntil = Math.min(validUntil, until + delay)
      if (!s.alive.includes(this.self)) {
        starts = 0
        conc = 0
        continue
      }
      const wanting = new Set(s.alive.filter((m) => s.wants.get(m)?.has(profile)))
      rotating ||= remainderOf(tokens, s.alive, wanting) > 0 || remainderOf(concurrency, s.alive, wanting) > 0
      const needOf = (k: 0 | 1) => (m: string) => s.need.get(m)?.[profile]?.[k]
      for (const e of epochs) {
        starts = Math.min(starts, allocate(tokens, s.alive, wanting, e, needOf(0)).get(this.self) ?? 0)
        conc = Math.min(conc, allocate(concurrency, s.alive, wanting, e, needOf(1)).get(this.self) ?? 0)
      }
    }
    if (rotating) validUntil = Math.min(validUntil, epochs.length > 1 ? epochs[0] * epochMs + delay : (epochs[0] + 1) * epochMs)
    let othersOver = 0
    for (const m of this.alive) if (m !== this.self) othersOver += this.members.get(m)?.over[profile] ?? 0
    return { starts: starts === Infinity ? 0 : starts, concurrency: conc === Infinity ? 0 : conc, validUntil, othersOver }
  }

  private aliveAt(now: number): string[] {
    return [...this.members.values()].filter((m) => now - m.seenAt <= this.timing.aliveMs).map((m) => m.id).sort()
  }

  private needOf(alive: readonly string[]): Map<string, Readonly<Record<string, readonly [number, number]>>> {
    return new Map(alive.map((m) => [m, this.members.get(m)?.need ?? {}]))
  }

  private wantsOf(alive: readonly string[]): Map<string, ReadonlySet<string>> {
    return new Map(alive.map((m) => [m, this.members.get(m)?.wants ?? new Set<string>()]))
  }
}

function remainderOf(total: number, members: readonly string[], wanting: ReadonlySet<string>): number {
  const rest = total >= members.length ? total - members.length : total
  const pool = members.some((m) => wanting.has(m)) ? members.filter((m) => wanting.has(m)).length : members.length
  return pool ? rest % pool : 0
}

function sameMembers(s: Snapshot, alive: readonly string[], wants: Snapshot['wants'], need: Snapshot['need']): boolean {
  if (s.alive.length !== alive.length || s.alive.some((m, i) => m !== alive[i])) return false
  for (const m of alive) if (!sameSet(s.wants.get(m) ?? new Set(), wants.get(m) ?? new Set())) return false
  for (const m of alive) if (JSON.stringify(s.need.get(m) ?? {}) !== JSON.stringify(need.get(m) ?? {})) return false
  return true
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false
  for (const x of a) if (!b.has(x)) return false
  return true
}
