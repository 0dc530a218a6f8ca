// One clock for every benchmark process: CLOCK_MONOTONIC (process.hrtime) is shared by all
// processes of a Linux machine, so a publish time stamped in one process and an arrival
// stamped in another subtract to the real latency.
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n)
}
