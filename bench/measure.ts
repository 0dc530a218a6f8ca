// The benchmark's measuring parts: the endpoint process, child processes, publishing
// at full speed or a steady rate, and draining a batch while /proc is read.
import { fork, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { JetStreamManager } from 'nats'
import { nowUs } from './clock'
import type { EndpointCommand, EndpointStats } from './endpoint'
import { mb, sampleProc, type ProcSample } from './proc'

export interface Throughput {
  events: number
  seconds: number
  perSecond: number
  /** CPU seconds per 10k deliveries of the consumer process (summed over all of them). */
  cpuSecondsPer10k?: number
  /** nats-server's CPU seconds per 10k deliveries over the same stretch. */
  natsCpuSecondsPer10k?: number
  /** redis-server's, for the peer P. */
  redisCpuSecondsPer10k?: number
  /** The consumer process's RSS at the end (the largest, with several), MB. */
  rssMb?: number
  peakRssMb?: number
  /**
   * The same drain from its `from`-th arrival on (a quarter in): every process here starts
   * cold, so the first figures include its JIT warm-up; this one is the rate it keeps.
   */
  warm?: { from: number; perSecond: number; cpuSecondsPer10k?: number }
}

export interface Latency {
  rate: number
  seconds: number
  n: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export function round(x: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

// ── processes ────────────────────────────────────────────────────────────────────────
export function forkScript(name: string, args: string[]): ChildProcess {
  const ts = __filename.endsWith('.ts')
  return fork(join(__dirname, `${name}.${ts ? 'ts' : 'js'}`), args, { execArgv: ts ? ['--import', 'tsx'] : [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
}

export function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => proc.once('exit', () => resolve()))
}

export async function stopProcess(proc: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return
  proc.kill('SIGTERM')
  const done = await Promise.race([exited(proc).then(() => true), sleep(timeoutMs).then(() => false)])
  if (!done) {
    proc.kill('SIGKILL')
    await exited(proc)
  }
}

/** Waits for a forked script's `{ type: 'ready' }`. */
export function ready(proc: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    proc.once('message', () => resolve())
    proc.once('exit', (code) => reject(new Error(`${what} exited at start with ${code}`)))
  })
}

// ── the endpoint process ─────────────────────────────────────────────────────────────
export class Endpoint {
  private replies: Array<(m: unknown) => void> = []
  private constructor(readonly proc: ChildProcess, readonly url: string) {
    proc.on('message', (m: { type: string }) => {
      if (m.type !== 'port') this.replies.shift()?.(m)
    })
  }

  static async start(): Promise<Endpoint> {
    const proc = forkScript('endpoint', [])
    const port = await new Promise<number>((resolve, reject) => {
      proc.once('message', (m: { type: string; port: number }) => resolve(m.port))
      proc.once('exit', (code) => reject(new Error(`endpoint exited with ${code}`)))
    })
    return new Endpoint(proc, `http://127.0.0.1:${port}`)
  }

  private call<T>(cmd: EndpointCommand): Promise<T> {
    return new Promise<T>((resolve) => {
      this.replies.push(resolve as (m: unknown) => void)
      this.proc.send(cmd)
    })
  }

  reset(latency: boolean): Promise<unknown> {
    return this.call({ type: 'reset', latency })
  }

  /** Before a drain of `expected` requests: counts from zero and keeps where the warm part starts. */
  resetForDrain(expected: number): Promise<unknown> {
    return this.call({ type: 'reset', latency: false, mark: warmFrom(expected) })
  }

  stats(): Promise<EndpointStats> {
    return this.call({ type: 'stats' })
  }

  close(): void {
    this.proc.kill('SIGTERM')
  }
}

// ── events ───────────────────────────────────────────────────────────────────────────
export function eventOf(id: string, account: string, ref: string): Record<string, unknown> {
  return { id, account, data: { id: `msg-${id}`, to: '+919876543210', status: 'Delivered', error: { code: '000' }, ref } }
}

/** Sends one event: a JetStream publish (B, C) or a BullMQ add (P). */
export type Send = (id: string, ref: string) => Promise<unknown>

/** Sends n events as fast as the store takes them (a window of unacknowledged sends). */
export async function sendMany(send: Send, prefix: string, n: number): Promise<void> {
  const WINDOW = 256
  for (let i = 0; i < n; i += WINDOW) {
    const ps: Promise<unknown>[] = []
    for (let j = i; j < Math.min(n, i + WINDOW); j++) ps.push(send(`${prefix}_${j}`, '0'))
    await Promise.all(ps)
  }
}

/** Sends at `rate` events/s for `seconds`, each stamped with its send time in `ref`. */
export async function sendSteady(send: Send, prefix: string, rate: number, seconds: number): Promise<void> {
  const start = performance.now()
  const total = Math.round(rate * seconds)
  let sent = 0
  const pending: Promise<unknown>[] = []
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate))
    for (; sent < due; sent++) pending.push(send(`${prefix}_${sent}`, String(nowUs())))
    if (pending.length > 1000) await Promise.all(pending.splice(0))
    await sleep(1)
  }
  await Promise.all(pending)
}

// ── measuring ────────────────────────────────────────────────────────────────────────
export interface Watched {
  /** The consumer process(es): forwarder, worker or daemon(s). */
  consumers: number[]
  nats?: number
  redis?: number
}

function cpuOf(pids: number[]): number {
  return pids.reduce((s, p) => s + sampleProc(p).cpuSeconds, 0)
}

/** Where a drain's warm figure starts: a quarter of the way in. */
export function warmFrom(expected: number): number {
  return Math.max(1, Math.floor(expected / 4))
}

/** Waits until the endpoint counted `expected` requests; CPU is taken from first arrival to the end (and from the warm mark). */
export async function measureDrain(ep: Endpoint, expected: number, w: Watched | undefined, timeoutMs: number): Promise<Throughput> {
  const deadline = Date.now() + timeoutMs
  let cpu0: { consumers: number; nats: number; redis: number } | undefined
  let cpuMark: { consumers: number; count: number } | undefined
  const mark = warmFrom(expected)
  let stats: EndpointStats
  const sample = (): { consumers: number; nats: number; redis: number } => ({
    consumers: cpuOf(w?.consumers ?? []),
    nats: w?.nats !== undefined ? sampleProc(w.nats).cpuSeconds : 0,
    redis: w?.redis !== undefined ? sampleProc(w.redis).cpuSeconds : 0,
  })
  for (;;) {
    stats = await ep.stats()
    if (stats.count > 0 && w && cpu0 === undefined) cpu0 = sample()
    if (stats.count >= mark && w && cpuMark === undefined && stats.count < expected) cpuMark = { consumers: cpuOf(w.consumers), count: stats.count }
    if (stats.count >= expected) break
    if (Date.now() > deadline) throw new Error(`only ${stats.count} of ${expected} requests arrived in ${timeoutMs} ms`)
    await sleep(stats.count > 0 ? 5 : 20)
  }
  const seconds = (stats.lastUs - stats.firstUs) / 1e6
  const out: Throughput = { events: expected, seconds: round(seconds, 3), perSecond: Math.round((expected - 1) / seconds) }
  if (stats.markUs > 0 && stats.lastUs > stats.markUs) out.warm = { from: mark, perSecond: Math.round((expected - mark) / ((stats.lastUs - stats.markUs) / 1e6)) }
  if (w && cpu0 !== undefined) {
    const cpu1 = sample()
    const per10k = (s: number, n = expected): number => round((s / n) * 10_000, 2)
    if (out.warm && cpuMark !== undefined) out.warm.cpuSecondsPer10k = per10k(cpu1.consumers - cpuMark.consumers, expected - cpuMark.count)
    out.cpuSecondsPer10k = per10k(cpu1.consumers - cpu0.consumers)
    if (w.nats !== undefined) out.natsCpuSecondsPer10k = per10k(cpu1.nats - cpu0.nats)
    if (w.redis !== undefined) out.redisCpuSecondsPer10k = per10k(cpu1.redis - cpu0.redis)
    const procs: ProcSample[] = w.consumers.map((p) => sampleProc(p))
    out.rssMb = mb(Math.max(...procs.map((p) => p.rssBytes)))
    out.peakRssMb = mb(Math.max(...procs.map((p) => p.peakRssBytes)))
  }
  return out
}

/** A warm-up at the steady rate, then `latencySeconds` measured: send → arrival at the endpoint. */
export async function measureLatency(ep: Endpoint, send: Send, prefix: string, rate: number, latencySeconds: number): Promise<Latency> {
  const warmup = Math.min(2, Math.max(0.5, latencySeconds / 5))
  await ep.reset(false)
  await sendSteady(send, `${prefix}w`, rate, warmup)
  await sleep(200)
  await ep.reset(true)
  await sendSteady(send, prefix, rate, latencySeconds)
  const expected = Math.round(rate * latencySeconds)
  const deadline = Date.now() + 20_000
  let s = await ep.stats()
  while (s.count < expected && Date.now() < deadline) {
    await sleep(50)
    s = await ep.stats()
  }
  const l = s.latency ?? { n: 0, p50: 0, p99: 0, max: 0 }
  return { rate, seconds: latencySeconds, n: l.n, p50Ms: l.p50, p99Ms: l.p99, maxMs: l.max }
}

/** Waits until a consumer has nothing pending and nothing unacknowledged. */
export async function allAcked(jsm: JetStreamManager, stream: string, consumer: string, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const info = await jsm.consumers.info(stream, consumer)
    if (info.num_pending === 0 && info.num_ack_pending === 0) return true
    if (Date.now() > deadline) return false
    await sleep(50)
  }
}

/** Polls `left` until it answers 0. */
export async function drained(left: () => Promise<number>, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if ((await left()) === 0) return true
    if (Date.now() > deadline) return false
    await sleep(50)
  }
}
