// A counting semaphore for deliveries in flight, shared by every consumer of a process:
// a consumer loop waits for a slot before launching the next delivery, and never waits
// for the delivery itself, so one slow endpoint holds one slot, not the loop.
export class Slots {
  private active = 0
  private readonly waiters: Array<() => void> = []
  private idleWaiters: Array<() => void> = []

  constructor(readonly size: number) {}

  get inUse(): number {
    return this.active
  }

  /** Takes a slot now if one is free. */
  tryAcquire(): boolean {
    if (this.active < this.size) {
      this.active++
      return true
    }
    return false
  }

  /** Waits for a slot; `keepAlive` runs every `keepAliveMs` while waiting. */
  acquire(keepAlive?: () => void, keepAliveMs = 5000): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = keepAlive ? setInterval(keepAlive, keepAliveMs) : undefined
      this.waiters.push(() => {
        if (timer) clearInterval(timer)
        resolve()
      })
    })
  }

  release(): void {
    const next = this.waiters.shift()
    if (next) {
      // The slot passes straight to the waiter.
      next()
      return
    }
    this.active--
    if (this.active === 0 && this.idleWaiters.length) {
      const list = this.idleWaiters
      this.idleWaiters = []
      for (const w of list) w()
    }
  }

  /** Resolves when no slot is in use. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }
}
