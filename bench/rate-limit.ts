// Micro-benchmark: what the rate limiter adds to a request when it does not throttle.
// Run: node --import tsx bench/rate-limit.ts
// Each request takes a slot and gives it back (tryAcquire + release, the deliverer's fast
// path), and separately through the awaited acquire(); limits are set high enough that
// nothing waits. Prints the mean cost per request in µs, best of several rounds.
import { createRateLimiter } from '../core/delivery/rate-limit'

const N = 200_000
const ROUNDS = 7

function syncRound(): number {
  const limiter = createRateLimiter({ perSecond: 1e9, maxConcurrent: 64 })
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < N; i++) {
    const release = limiter.tryAcquire()
    if (release === null) throw new Error('throttled in the benchmark')
    release()
  }
  return Number(process.hrtime.bigint() - t0) / 1000 / N
}

async function asyncRound(): Promise<number> {
  const limiter = createRateLimiter({ perSecond: 1e9, maxConcurrent: 64 })
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < N; i++) {
    const release = await limiter.acquire()
    release()
  }
  return Number(process.hrtime.bigint() - t0) / 1000 / N
}

async function concurrentRound(): Promise<number> {
  // 64 requests in flight at once, like a busy profile below its limits.
  const limiter = createRateLimiter({ perSecond: 1e9, maxConcurrent: 64 })
  const t0 = process.hrtime.bigint()
  const per = N / 64
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = 0; i < per; i++) {
        const release = limiter.tryAcquire() ?? (await limiter.acquire())
        await Promise.resolve()
        release()
      }
    }),
  )
  return Number(process.hrtime.bigint() - t0) / 1000 / N
}

async function main(): Promise<void> {
  const best = { sync: Infinity, async: Infinity, concurrent: Infinity }
  for (let r = 0; r < ROUNDS; r++) {
    best.sync = Math.min(best.sync, syncRound())
    best.async = Math.min(best.async, await asyncRound())
    best.concurrent = Math.min(best.concurrent, await concurrentRound())
  }
  const fmt = (us: number): string => `${us.toFixed(3)} µs`
  console.log(`rate limiter overhead per request, not throttling (${N} requests, best of ${ROUNDS}):`)
  console.log(`  tryAcquire + release (fast path):        ${fmt(best.sync)}`)
  console.log(`  await acquire() + release:               ${fmt(best.async)}`)
  console.log(`  64 concurrent, fast path + one await:    ${fmt(best.concurrent)} (includes the await itself)`)
  const worst = Math.max(best.sync, best.async)
  console.log(worst < 50 ? `OK: under the 50 µs budget` : `OVER the 50 µs budget`)
  if (worst >= 50) process.exitCode = 1
}

void main()
