// Sliding-window counts of request starts as a receiver sees them, for the rate-limit tests.

/** The largest number of times within any half-open window [x, x + windowMs). */
export function maxInWindow(times: readonly number[], windowMs = 1000): number {
  return windowsOver(times, 0, windowMs).max
}

/** Every window [s, s + windowMs) starting at a recorded time that holds more than `limit`; and the largest count. */
export function windowsOver(times: readonly number[], limit: number, windowMs = 1000): { max: number; over: Array<{ at: number; count: number }> } {
  const s = [...times].sort((a, b) => a - b)
  let max = 0
  const over: Array<{ at: number; count: number }> = []
  let hi = 0
  for (let lo = 0; lo < s.length; lo++) {
    while (hi < s.length && s[hi] - s[lo] < windowMs) hi++
    const count = hi - lo
    max = Math.max(max, count)
    if (count > limit) over.push({ at: s[lo], count })
  }
  return { max, over }
}
