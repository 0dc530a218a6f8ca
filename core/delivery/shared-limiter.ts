// A profile's rate limiter when several daemons share its rateLimit (see cluster-shares.ts):
// rate-limit.ts's gate with this daemon's share, read from the cluster view, instead of the
// whole limit. Nothing here talks to NATS: the share is recomputed only when the view or the
// epoch changes, so a request that is not throttled costs what it costs in rate-limit.ts plus
// two comparisons.
//
// The ring keeps the last `tokens` starts (the whole limit: the most this daemon can ever
// hold). With a share of k tokens a new start needs the k-th most recent one to be a full
// window old; when k shrinks, the starts already made keep counting against the smaller k.
import type { ClusterView, Target } from './cluster-shares'
import { WindowGate, type Allowance, type RateLimit, type RateLimiter } from './rate-limit'

/** A daemon that waited on a profile this recently still counts as wanting it. */
export const WANT_MS = 1500
/** While requests wait, the share is looked at again this often (others' heartbeats change it). */
const POLL_MS = 250

export interface SharedLimiter extends RateLimiter {
  /** Waited for a slot within WANT_MS (or waits now): this daemon asks for a larger share. */
  wanting(): boolean
  /** Requests in flight above this daemon's concurrency share (after a shrink). */
  over(): number
  /** The share in use now. */
  share(): { starts: number; concurrency: number }
  /** Looks at the share again now (the view changed). */
  poke(): void
  /**
   * What this daemon used since the last call, with room to grow: [starts, in flight], each
   * twice the count plus one rounded up to a power of two (few distinct values, so the view
   * changes seldom); undefined when it used nothing. Read once per heartbeat.
   */
  need(): readonly [number, number] | undefined
}

export interface SharedLimiterOptions {
  guardMs?: number
  waitTickMs?: number
  /** Monotonic clock for windows (default performance.now) and wall clock for the view (default Date.now). */
  now?: () => number
  wallNow?: () => number
}

class SharedGate extends WindowGate implements SharedLimiter {
  private target: Target = { starts: 0, concurrency: 0, validUntil: -Infinity, othersOver: 0 }
  private targetVersion = -1
  private readonly allowed: Allowance = { starts: 0, concurrency: 0 }

  constructor(
    private readonly profile: string,
    limits: RateLimit,
    private readonly view: ClusterView,
    private readonly wallNow: () => number,
    options: SharedLimiterOptions,
  ) {
    // The guard is wider than alone (25 ms): the starts of several processes meet at the
    // receiver, each with its own event-loop and network jitter (60 ms let 31 through in a
    // second at load 30).
    super(limits, { guardMs: options.guardMs ?? 80, guardFraction: 0.08, waitTickMs: options.waitTickMs, now: options.now, pollMs: POLL_MS })
  }

  protected override allowance(): Allowance {
    const s = this.current()
    this.allowed.starts = s.starts
    this.allowed.concurrency = s.concurrency - s.othersOver
    return this.allowed
  }

  private current(): Target {
    if (this.targetVersion !== this.view.version || this.wallNow() >= this.target.validUntil) {
      this.target = this.view.target(this.profile, this.tokens, this.limits.maxConcurrent, this.windowMs, this.wallNow())
      this.targetVersion = this.view.version
    }
    return this.target
  }

  wanting(): boolean {
    return this.waiting > 0 || this.now() - this.lastWaitAt < WANT_MS
  }

  over(): number {
    return Math.max(0, this.running - this.current().concurrency)
  }

  share(): { starts: number; concurrency: number } {
    const s = this.current()
    return { starts: s.starts, concurrency: s.concurrency }
  }

  poke(): void {
    if (this.waiting > 0) this.drain()
  }

  need(): readonly [number, number] | undefined {
    const used = this.grantsSinceRead
    const peak = Math.max(this.peakInFlight, this.running)
    this.grantsSinceRead = 0
    this.peakInFlight = this.running
    if (used === 0 && peak === 0) return undefined
    return [roundUp(2 * used + 1), roundUp(2 * peak + 1)] as const
  }
}

export function createSharedLimiter(profile: string, limits: RateLimit, view: ClusterView, options: SharedLimiterOptions = {}): SharedLimiter {
  return new SharedGate(profile, limits, view, options.wallNow ?? (() => Date.now()), options)
}

function roundUp(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)))
}
