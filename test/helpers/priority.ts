// Tests that judge time at a receiver (request starts per sliding second, arrival spans) read
// the receiver's clock when its event loop gets to a request. On a busy machine (a load of
// 15 on two cores, as when the suite runs beside `npm run bench`) that can be 100 ms or more
// after the bytes arrived, and a stall followed by a burst packs requests sent over 1.1 s into
// one of the receiver's seconds: 33 "starts" in a second from daemons each keeping its share.
// So such a test raises its process's priority before it starts its daemons (children inherit
// it): the endpoint and the daemons under test then run when they have work, and the clock
// stamps follow the wire rather than the scheduler. The limiter under test is unchanged.
// Without root, a test can still put its receiver first by lowering everything else it
// started: yieldCpu() (the shared-limits scenario does, on its daemons and NATS nodes).
import { readdirSync } from 'node:fs'
import { setPriority } from 'node:os'

/** Raises this process's (and its future children's) priority; needs root, elsewhere does nothing. Returns whether it did. */
export function favourThisTest(): boolean {
  try {
    setPriority(-10)
    return true
  } catch {
    return false
  }
}

/**
 * Lowers a child process's priority (nice 10) on every one of its threads: on Linux a nice
 * value is per thread, threads made later inherit it, and lowering needs no privilege.
 */
export function yieldCpu(pid: number | undefined): void {
  if (!pid) return
  let tids: string[] = [String(pid)]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    // not Linux, or the process is gone: the process itself at most
  }
  for (const tid of tids) {
    try {
      setPriority(Number(tid), 10)
    } catch {
      // gone meanwhile
    }
  }
}
