// What /proc says about a process: CPU seconds (user + system) and resident memory.
// Linux only, like the rest of the benchmark.
import { readFileSync } from 'node:fs'

/** Clock ticks per second of /proc/<pid>/stat (CLK_TCK is 100 on every Linux we run on). */
const TICKS = 100

export interface ProcSample {
  /** user + system CPU seconds since the process started. */
  cpuSeconds: number
  /** Resident set size now, bytes. */
  rssBytes: number
  /** Peak resident set size (VmHWM), bytes. */
  peakRssBytes: number
}

export function sampleProc(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(rest[11])
  const stime = Number(rest[12])
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024
  return { cpuSeconds: (utime + stime) / TICKS, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') }
}

export function mb(bytes: number): number {
  return Math.round((bytes / 1048576) * 10) / 10
}
