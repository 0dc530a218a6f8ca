// A profile's rate limiter when several daemons share its rateLimit (see cluster-shares.ts):
// the same sliding window and concurrency gate as rate-limit.ts, with this daemon's share,
// read from the cluster view, instead of the whole limit. Nothing here talks to NATS: the
// share is recomputed only when the view or the epoch changes, so a request that is not
// throttled costs what it costs in rate-limit.ts plus two comparisons.
//
// The ring keeps the last `tokens` starts (the whole limit: the most this daemon can ever
// hold). With a share of k tokens a new start needs the k-th most recent one to be a full
// window old; when k shrinks, the starts already made keep counting against the smaller k.
import type { ClusterView, Target } from './cluster-shares'
import type { RateLimit, RateLimiter, Release } from './rate-limit'

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

const MAX_RING = 65_536

interface Waiter {
  resolve: (release: Release) => void
  onWait: (() => void) | undefined
}

// One closure per profile, like rate-limit.ts; its length is the gate's state machine.
// eslint-disable-next-line max-lines-per-function
export function createSharedLimiter(profile: string, limits: RateLimit, view: ClusterView, options: SharedLimiterOptions = {}): SharedLimiter {
  if (!(limits.perSecond > 0)) throw new RangeError('rateLimit.perSecond must be > 0')
  if (!(Number.isInteger(limits.maxConcurrent) && limits.maxConcurrent >= 1)) throw new RangeError('rateLimit.maxConcurrent must be an integer >= 1')
  const now = options.now ?? (() => performance.now())
  const wallNow = options.wallNow ?? (() => Date.now())
  const tokens = Math.min(MAX_RING, Math.max(1, Math.floor(limits.perSecond)))
  const baseMs = (tokens * 1000) / limits.perSecond
  // The guard is wider than rate-limit.ts's 25 ms: the starts of several processes meet at the
  // receiver, each with its own event-loop and network jitter (60 ms let 31 through in a second at load 30).
  const windowMs = baseMs + Math.min(options.guardMs ?? 80, baseMs * 0.08)
  const waitTickMs = options.waitTickMs ?? 1000

  const starts = new Float64Array(tokens).fill(-Infinity)
  let head = 0
  let inFlight = 0
  const queue: Waiter[] = []
  let qHead = 0
  let timer: NodeJS.Timeout | undefined
  let ticker: NodeJS.Timeout | undefined
  let lastWaitAt = -Infinity
  let startsSinceNeed = 0
  let peakInFlight = 0
  let target: Target = { starts: 0, concurrency: 0, validUntil: -Infinity, othersOver: 0 }
  let targetVersion = -1

  function current(): Target {
    if (targetVersion !== view.version || wallNow() >= target.validUntil) {
      target = view.target(profile, tokens, limits.maxConcurrent, windowMs, wallNow())
      targetVersion = view.version
    }
    return target
  }

  /** When a start is allowed at t, 0; otherwise how long to look again after (Infinity: on a stamp or release). */
  function blockedFor(t: number): number {
    const s = current()
    if (s.starts <= 0 || inFlight >= s.concurrency - s.othersOver) return POLL_MS
    const free = starts[(head - s.starts + tokens) % tokens] + windowMs
    return t >= free ? 0 : free - t
  }

  function grant(t: number): Release {
    const slot = head
    starts[slot] = Infinity
    head = head + 1 === tokens ? 0 : head + 1
    inFlight++
    startsSinceNeed++
    if (inFlight > peakInFlight) peakInFlight = inFlight
    let released = false
    let stamped = false
    const release = (() => {
      if (released) return
      released = true
      inFlight--
      if (!stamped) {
        stamped = true
        starts[slot] = t
      }
      if (qHead < queue.length) drain()
    }) as Release
    release.started = () => {
      if (stamped) return
      stamped = true
      starts[slot] = now()
      if (qHead < queue.length) drain()
    }
    return release
  }

  function drain(): void {
    while (qHead < queue.length) {
      lastWaitAt = now()
      const t = now()
      const wait = blockedFor(t)
      if (wait > 0) {
        if (timer !== undefined) clearTimeout(timer)
        // An unstamped slot (wait = Infinity) drains again when stamped or released; the share may still change meanwhile.
        timer = setTimeout(() => {
          timer = undefined
          drain()
        }, Math.max(1, Math.ceil(Math.min(wait, POLL_MS))))
        return
      }
      const w = queue[qHead++]
      if (qHead > 1024 && qHead * 2 > queue.length) {
        queue.splice(0, qHead)
        qHead = 0
      }
      w.resolve(grant(t))
    }
    queue.length = 0
    qHead = 0
    if (ticker !== undefined) {
      clearInterval(ticker)
      ticker = undefined
    }
  }

  function tick(): void {
    for (let i = qHead; i < queue.length; i++) queue[i].onWait?.()
  }

  return {
    limits: { perSecond: limits.perSecond, maxConcurrent: limits.maxConcurrent },
    get inFlight() {
      return inFlight
    },
    get waiting() {
      return queue.length - qHead
    },
    tryAcquire(): Release | null {
      if (qHead < queue.length) return null
      const t = now()
      if (blockedFor(t) === 0) return grant(t)
      lastWaitAt = t
      return null
    },
    acquire(onWait?: () => void): Promise<Release> {
      const fast = this.tryAcquire()
      if (fast) return Promise.resolve(fast)
      lastWaitAt = now()
      return new Promise<Release>((resolve) => {
        queue.push({ resolve, onWait })
        onWait?.()
        if (ticker === undefined) {
          ticker = setInterval(tick, waitTickMs)
          ticker.unref()
        }
        drain()
      })
    },
    wanting() {
      return qHead < queue.length || now() - lastWaitAt < WANT_MS
    },
    over() {
      return Math.max(0, inFlight - current().concurrency)
    },
    share() {
      const s = current()
      return { starts: s.starts, concurrency: s.concurrency }
    },
    poke() {
      if (qHead < queue.length) drain()
    },
    need() {
      const used = startsSinceNeed
      const peak = Math.max(peakInFlight, inFlight)
      startsSinceNeed = 0
      peakInFlight = inFlight
      if (used === 0 && peak === 0) return undefined
      return [roundUp(2 * used + 1), roundUp(2 * peak + 1)] as const
    },
  }
}

function roundUp(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)))
}
