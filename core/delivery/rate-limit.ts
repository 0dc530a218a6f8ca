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

const MAX_RING = 65_536

interface Waiter {
  resolve: (release: Release) => void
  onWait: (() => void) | undefined
}

export function createRateLimiter(limits: RateLimit, options: RateLimiterOptions = {}): RateLimiter {
  if (!(limits.perSecond > 0)) throw new RangeError('rateLimit.perSecond must be > 0')
  if (!(Number.isInteger(limits.maxConcurrent) && limits.maxConcurrent >= 1)) throw new RangeError('rateLimit.maxConcurrent must be an integer >= 1')
  const now = options.now ?? (() => performance.now())
  // Above MAX_RING starts a second (beyond what one process can send) the ring stops
  // growing and the window shrinks instead: the average rate still holds.
  const capacity = Math.min(MAX_RING, Math.max(1, Math.floor(limits.perSecond)))
  const baseMs = (capacity * 1000) / limits.perSecond
  const windowMs = baseMs + Math.min(options.guardMs ?? 25, baseMs * 0.05)
  const waitTickMs = options.waitTickMs ?? 1000
  const maxConcurrent = limits.maxConcurrent

  // starts[head] is the oldest of the last `capacity` starts (-Infinity: none yet).
  const starts = new Float64Array(capacity).fill(-Infinity)
  let head = 0
  let inFlight = 0
  const queue: Waiter[] = []
  let qHead = 0
  let timer: NodeJS.Timeout | undefined
  let ticker: NodeJS.Timeout | undefined

  function grant(t: number): Release {
    const slot = head
    // Reserved until stamped: the grant `capacity` places later waits for the stamp.
    starts[slot] = Infinity
    head = head + 1 === capacity ? 0 : head + 1
    inFlight++
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

  function waitingCount(): number {
    return queue.length - qHead
  }

  function drain(): void {
    while (qHead < queue.length) {
      if (inFlight >= maxConcurrent) return // a release drains again
      const t = now()
      const free = starts[head] + windowMs
      if (t < free) {
        // An unstamped slot (free = Infinity) drains again when it is stamped or released.
        if (timer === undefined && free !== Infinity) {
          timer = setTimeout(() => {
            timer = undefined
            drain()
          }, Math.max(1, Math.ceil(free - t)))
        }
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
    limits: { perSecond: limits.perSecond, maxConcurrent },
    get inFlight() {
      return inFlight
    },
    get waiting() {
      return waitingCount()
    },
    tryAcquire(): Release | null {
      if (qHead < queue.length || inFlight >= maxConcurrent) return null
      const t = now()
      if (t < starts[head] + windowMs) return null
      return grant(t)
    },
    acquire(onWait?: () => void): Promise<Release> {
      const fast = this.tryAcquire()
      if (fast) return Promise.resolve(fast)
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
  }
}
