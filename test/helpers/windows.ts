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

/** Requests in flight over time, from [start, end) intervals (end undefined: still in flight): every start that made the count exceed `limit`, and the peak. */
export function inFlightOver(intervals: ReadonlyArray<readonly [number, number | undefined]>, limit: number): { max: number; over: Array<{ at: number; count: number }> } {
  // Ends sort before starts at the same instant: a slot handed on is not two in flight.
  const edges: Array<[number, number]> = []
  for (const [s, e] of intervals) {
    edges.push([s, 1])
    if (e !== undefined) edges.push([e, -1])
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let n = 0
  let max = 0
  const over: Array<{ at: number; count: number }> = []
  for (const [at, d] of edges) {
    n += d
    max = Math.max(max, n)
    if (d > 0 && n > limit) over.push({ at, count: n })
  }
  return { max, over }
}

/** The excesses (from windowsOver or inFlightOver) whose window [at, at + windowMs) overlaps none of `periods` ([from, to] in the same clock). */
export function outside<T extends { at: number }>(over: readonly T[], periods: ReadonlyArray<readonly [number, number]>, windowMs = 0): T[] {
  return over.filter((o) => !periods.some(([from, to]) => o.at + windowMs > from && o.at <= to))
}
