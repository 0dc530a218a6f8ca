// The per-profile rate limit (DESIGN "Profiles": rateLimit): no sliding 1 s window holds
// more than `perSecond` request starts, and no more than `maxConcurrent` requests are in
// flight.
//
// A sliding window is exact with a ring of the last N start times (N = perSecond): a new
// start may happen once the start N places back is a full window old. Then any window of
// one second holds at most N starts, whereas a fixed window (p-queue's interval) or a
// refilled reservoir (bottleneck) lets 2N through across a boundary. The ring costs one
// array slot per allowed start per second; nothing is allocated on the fast path except
// the release closure.
//
// A fractional perSecond (0.5) becomes one start per 1000 / perSecond ms; a non-integer
// above 1 (2.5) rounds the count down and stretches the window (2 per 800 ms) so the
// average never exceeds the rate. Above 65 536 a second the ring stops growing and the
// window shrinks in proportion.
//
// What counts as a request's start is the moment it goes out on a connected socket, not
// the moment its slot is granted: a first request to an origin waits for DNS, TCP and TLS
// while later ones reuse a kept-alive socket, and stamping at grant time would let the
// receiver see a burst of N + N inside one of its seconds. So a slot is stamped when the
// caller says the request started (`release.started()`, wired to undici's onConnect by
// http-attempt); until then its ring entry blocks the slot N places later. A slot released
// unstamped (nothing was sent: refused, connect failed) counts from its grant time. The
// N-apart argument still holds: grant k+N waits for stamp k + window, and stamp k+N comes
// after grant k+N.
//
// `guardMs` widens the window (1025 ms for a whole second; at most 5 % of a short window)
// to absorb what remains between our write and the receiver's clock: network and
// event-loop jitter, measured here at up to ~15 ms for a first request on a busy machine.
//
// The gate is one class for both cases: alone, a daemon has the whole limit; in a cluster
// (shared-limiter.ts) a subclass answers `allowance()` with this daemon's share, k start
// tokens of the ring's N, and a start then needs the k-th most recent one to be a window old.

export interface RateLimit {
  perSecond: number
  maxConcurrent: number
}

/** Ends a request's hold on its concurrency slot; calling it twice is harmless. */
export interface Release {
  (): void
  /** Stamps the request's start (it is going out now); later calls are ignored. */
  started(): void
}

export interface RateLimiter {
  readonly limits: RateLimit
  /** Requests holding a slot now. */
  readonly inFlight: number
  /** Requests waiting for a slot. */
  readonly waiting: number
  /** A slot now, synchronously, or null when throttled (or others already wait). */
  tryAcquire(): Release | null
  /**
   * A slot when the limits allow, in FIFO order. `onWait` is called as soon as the
   * request has to wait, then every `waitTickMs` while it still waits (the daemon
   * calls JetStream working() there so the message is not redelivered meanwhile).
   */
  acquire(onWait?: () => void): Promise<Release>
}

export interface RateLimiterOptions {
  /** Added to the window, see the file header; default 25 ms (at most 5 % of the window). */
  guardMs?: number
  /** How often a waiting request's onWait is called again; default 1000 ms. */
  waitTickMs?: number
  /** Clock in ms; default performance.now. */
  now?: () => number
}

/** What a gate may use now, when it holds a share of the limit (see shared-limiter.ts). */
export interface Allowance {
  /** Start tokens: at most this many starts in any window (at most the ring's size). */
  starts: number
  /** Requests that may be in flight. */
  concurrency: number
}

export interface GateOptions extends RateLimiterOptions {
  /** The guard's largest part of the window (default 0.05). */
  guardFraction?: number
  /** While requests wait on an allowance that may change, look again at least this often. */
  pollMs?: number
}

const MAX_RING = 65_536

interface Waiter {
  resolve: (release: Release) => void
  onWait: (() => void) | undefined
}

/** The sliding-window and concurrency gate of the file header. */
export class WindowGate implements RateLimiter {
  readonly limits: RateLimit
  /** The ring's size: the most starts any window may hold (the whole limit). */
  readonly tokens: number
  readonly windowMs: number
  /** When a request last had to wait (the clock's ms). */
  protected lastWaitAt = -Infinity
  /** Grants and the in-flight peak since need() last read them (shared-limiter.ts). */
  protected grantsSinceRead = 0
  protected peakInFlight = 0
  protected readonly now: () => number
  protected running = 0
  // starts[head] is the oldest of the last `tokens` starts (-Infinity: none yet; Infinity:
  // granted, not yet stamped).
  private readonly starts: Float64Array
  private head = 0
  private readonly queue: Waiter[] = []
  private qHead = 0
  private readonly waitTickMs: number
  private readonly pollMs: number
  private timer: NodeJS.Timeout | undefined
  private timerDue = Infinity
  private ticker: NodeJS.Timeout | undefined

  constructor(limits: RateLimit, options: GateOptions = {}) {
    if (!(limits.perSecond > 0)) throw new RangeError('rateLimit.perSecond must be > 0')
    if (!(Number.isInteger(limits.maxConcurrent) && limits.maxConcurrent >= 1)) throw new RangeError('rateLimit.maxConcurrent must be an integer >= 1')
    this.limits = { perSecond: limits.perSecond, maxConcurrent: limits.maxConcurrent }
    this.now = options.now ?? (() => performance.now())
    // Above MAX_RING starts a second (beyond what one process can send) the ring stops
    // growing and the window shrinks instead: the average rate still holds.
    this.tokens = Math.min(MAX_RING, Math.max(1, Math.floor(limits.perSecond)))
    const baseMs = (this.tokens * 1000) / limits.perSecond
    this.windowMs = baseMs + Math.min(options.guardMs ?? 25, baseMs * (options.guardFraction ?? 0.05))
    this.waitTickMs = options.waitTickMs ?? 1000
    this.pollMs = options.pollMs ?? Infinity
    this.starts = new Float64Array(this.tokens).fill(-Infinity)
  }

  /** This gate's share of the limit; undefined: the whole of it. */
  protected allowance(): Allowance | undefined {
    return undefined
  }

  get inFlight(): number {
    return this.running
  }

  get waiting(): number {
    return this.queue.length - this.qHead
  }

  tryAcquire(): Release | null {
    if (this.qHead < this.queue.length) return null
    const t = this.now()
    if (this.blockedFor(t) === 0) return this.grant(t)
    this.lastWaitAt = t
    return null
  }

  acquire(onWait?: () => void): Promise<Release> {
    const fast = this.tryAcquire()
    if (fast) return Promise.resolve(fast)
    return new Promise<Release>((resolve) => {
      this.queue.push({ resolve, onWait })
      onWait?.()
      if (this.ticker === undefined) {
        this.ticker = setInterval(() => this.tick(), this.waitTickMs)
        this.ticker.unref()
      }
      this.drain()
    })
  }

  /** Grants to waiters as far as the limits allow now; otherwise looks again when they may. */
  protected drain(): void {
    while (this.qHead < this.queue.length) {
      const t = this.now()
      this.lastWaitAt = t
      const wait = this.blockedFor(t)
      if (wait > 0) {
        // Infinity: a release or a stamp drains again (and, with a share, the poll).
        this.wakeIn(t, Math.min(wait, this.pollMs))
        return
      }
      const w = this.queue[this.qHead++]
      if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
        this.queue.splice(0, this.qHead)
        this.qHead = 0
      }
      w.resolve(this.grant(t))
    }
    this.queue.length = 0
    this.qHead = 0
    if (this.ticker !== undefined) {
      clearInterval(this.ticker)
      this.ticker = undefined
    }
  }

  /** 0 when a start is allowed at t; otherwise how long until it may be (Infinity: on a release or stamp). */
  private blockedFor(t: number): number {
    const share = this.allowance()
    const k = share === undefined ? this.tokens : share.starts
    const concurrency = share === undefined ? this.limits.maxConcurrent : share.concurrency
    if (k <= 0 || this.running >= concurrency) return Infinity
    const free = this.starts[k === this.tokens ? this.head : (this.head - k + this.tokens) % this.tokens] + this.windowMs
    return t >= free ? 0 : free - t
  }

  private wakeIn(t: number, delay: number): void {
    if (delay === Infinity) return
    const due = t + Math.max(1, Math.ceil(delay))
    if (this.timer !== undefined) {
      if (this.timerDue <= due) return
      clearTimeout(this.timer)
    }
    this.timerDue = due
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.drain()
    }, due - t)
  }

  private grant(t: number): Release {
    const slot = this.head
    // Reserved until stamped: the grant `tokens` places later waits for the stamp.
    this.starts[slot] = Infinity
    this.head = this.head + 1 === this.tokens ? 0 : this.head + 1
    if (++this.running > this.peakInFlight) this.peakInFlight = this.running
    this.grantsSinceRead++
    let released = false
    let stamped = false
    const release = (() => {
      if (released) return
      released = true
      this.running--
      if (!stamped) {
        stamped = true
        this.starts[slot] = t
      }
      if (this.qHead < this.queue.length) this.drain()
    }) as Release
    release.started = () => {
      if (stamped) return
      stamped = true
      this.starts[slot] = this.now()
      if (this.qHead < this.queue.length) this.drain()
    }
    return release
  }

  private tick(): void {
    for (let i = this.qHead; i < this.queue.length; i++) this.queue[i].onWait?.()
  }
}

export function createRateLimiter(limits: RateLimit, options: RateLimiterOptions = {}): RateLimiter {
  return new WindowGate(limits, options)
}
