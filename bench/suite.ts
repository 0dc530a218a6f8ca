// The end-to-end benchmark (npm run bench; issue "Performance"). In one run, on one
// machine, against one HTTP endpoint in its own process and one nats-server:
//   A  a raw undici POST loop (what nothing can beat), same concurrency
//   B  a naive forwarder: pull consumer → undici POST → ack, same concurrency
//   C  callback-router (`node dist/core/cli.js start`, its own process) end to end, with the
//      attempt log on, a per-profile rate limit high enough not to bind, and for profiles:
//      JSON body + header, GET + query string, urlencoded, JSON + AES-GCM of two values,
//      and a fan-out to 3 profiles (reported per delivery)
// Throughput drains N pre-published events (first to last arrival at the endpoint);
// latency publishes at a steady rate and measures publish → arrival; CPU seconds and RSS
// come from /proc. `--backlog` adds the memory-under-backlog run: 100k deliveries parked
// on retry (endpoint down, long interval) while fresh events to a healthy profile flow.
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { AckPolicy, connect, RetentionPolicy, StorageType, nanos, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats'
import { Agent, request } from 'undici'
import { freePort, NatsServer } from '../test/helpers/nats-server'
import { nowUs } from './clock'
import type { EndpointCommand, EndpointStats } from './endpoint'
import { NAIVE_CONSUMER, NAIVE_STREAM, NAIVE_SUBJECT } from './load'
import { mb, sampleProc, type ProcSample } from './proc'

export interface BenchOptions {
  events: number
  concurrency: number
  latencySeconds: number
  rate: number
  /** Which C runs (default all). */
  variants: readonly Variant[]
  backlog: boolean
  backlogEvents: number
  backlogWaitSeconds: number
  /** A folder for the daemon's --cpu-prof output. */
  cpuProf?: string
  out?: string
  log: (line: string) => void
}

interface Throughput {
  events: number
  seconds: number
  perSecond: number
  cpuSecondsPer10k?: number
  /** nats-server's CPU seconds per 10k events over the same stretch. */
  natsCpuSecondsPer10k?: number
  rssMb?: number
  peakRssMb?: number
}

interface Latency {
  rate: number
  seconds: number
  n: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

const SUBJECT = 'callbacks.sms.sms-send'
const JS_TARGET = join(__dirname, '..', 'core', 'cli.js')

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

// ── the endpoint process ─────────────────────────────────────────────────────────────
class Endpoint {
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

  stats(): Promise<EndpointStats> {
    return this.call({ type: 'stats' })
  }

  close(): void {
    this.proc.kill('SIGTERM')
  }
}

function forkScript(name: string, args: string[]): ChildProcess {
  const ts = __filename.endsWith('.ts')
  return fork(join(__dirname, `${name}.${ts ? 'ts' : 'js'}`), args, { execArgv: ts ? ['--import', 'tsx'] : [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => proc.once('exit', () => resolve()))
}

async function stopProcess(proc: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return
  proc.kill('SIGTERM')
  const done = await Promise.race([exited(proc).then(() => true), sleep(timeoutMs).then(() => false)])
  if (!done) {
    proc.kill('SIGKILL')
    await exited(proc)
  }
}

// ── events ───────────────────────────────────────────────────────────────────────────
function envelope(id: string, account: string, ref: string): Uint8Array {
  return Buffer.from(JSON.stringify({ id, account, data: { id: `msg-${id}`, to: '+919876543210', status: 'Delivered', error: { code: '000' }, ref } }))
}

/** Publishes n events as fast as JetStream takes them (a window of unacknowledged publishes). */
async function publishMany(js: JetStreamClient, subject: string, prefix: string, account: string, n: number): Promise<void> {
  const WINDOW = 256
  for (let i = 0; i < n; i += WINDOW) {
    const ps: Promise<unknown>[] = []
    for (let j = i; j < Math.min(n, i + WINDOW); j++) {
      const id = `${prefix}_${j}`
      ps.push(js.publish(subject, envelope(id, account, '0'), { msgID: id }))
    }
    await Promise.all(ps)
  }
}

/** Publishes at `rate` events/s for `seconds`, each stamped with its publish time in `ref`. */
async function publishSteady(js: JetStreamClient, subject: string, prefix: string, account: string, rate: number, seconds: number): Promise<void> {
  const start = performance.now()
  const total = Math.round(rate * seconds)
  let sent = 0
  const pending: Promise<unknown>[] = []
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate))
    for (; sent < due; sent++) {
      const id = `${prefix}_${sent}`
      pending.push(js.publish(subject, envelope(id, account, String(nowUs())), { msgID: id }))
    }
    if (pending.length > 1000) await Promise.all(pending.splice(0))
    await sleep(1)
  }
  await Promise.all(pending)
}

// ── measuring ────────────────────────────────────────────────────────────────────────
/** Waits until the endpoint counted `expected` requests; CPU is taken from first arrival to the end. */
async function measureDrain(ep: Endpoint, expected: number, pid: number | undefined, timeoutMs: number, natsPid?: number): Promise<Throughput> {
  const deadline = Date.now() + timeoutMs
  let cpu0: ProcSample | undefined
  let nats0: ProcSample | undefined
  let stats: EndpointStats
  for (;;) {
    stats = await ep.stats()
    if (stats.count > 0 && pid !== undefined && cpu0 === undefined) {
      cpu0 = sampleProc(pid)
      if (natsPid !== undefined) nats0 = sampleProc(natsPid)
    }
    if (stats.count >= expected) break
    if (Date.now() > deadline) throw new Error(`only ${stats.count} of ${expected} requests arrived in ${timeoutMs} ms`)
    await sleep(stats.count > 0 ? 5 : 20)
  }
  const seconds = (stats.lastUs - stats.firstUs) / 1e6
  const out: Throughput = { events: expected, seconds: round(seconds, 3), perSecond: Math.round((expected - 1) / seconds) }
  if (pid !== undefined && cpu0 !== undefined) {
    const cpu1 = sampleProc(pid)
    out.cpuSecondsPer10k = round(((cpu1.cpuSeconds - cpu0.cpuSeconds) / expected) * 10_000, 2)
    if (natsPid !== undefined && nats0 !== undefined) out.natsCpuSecondsPer10k = round(((sampleProc(natsPid).cpuSeconds - nats0.cpuSeconds) / expected) * 10_000, 2)
    out.rssMb = mb(cpu1.rssBytes)
    out.peakRssMb = mb(cpu1.peakRssBytes)
  }
  return out
}

async function measureLatency(ep: Endpoint, js: JetStreamClient, subject: string, prefix: string, account: string, o: BenchOptions): Promise<Latency> {
  const warmup = Math.min(2, Math.max(0.5, o.latencySeconds / 5))
  await ep.reset(false)
  await publishSteady(js, subject, `${prefix}w`, account, o.rate, warmup)
  await sleep(200)
  await ep.reset(true)
  await publishSteady(js, subject, prefix, account, o.rate, o.latencySeconds)
  const expected = Math.round(o.rate * o.latencySeconds)
  const deadline = Date.now() + 20_000
  let s = await ep.stats()
  while (s.count < expected && Date.now() < deadline) {
    await sleep(50)
    s = await ep.stats()
  }
  const l = s.latency ?? { n: 0, p50: 0, p99: 0, max: 0 }
  return { rate: o.rate, seconds: o.latencySeconds, n: l.n, p50Ms: l.p50, p99Ms: l.p99, maxMs: l.max }
}

/** Waits until a consumer has nothing pending and nothing unacknowledged. */
async function allAcked(jsm: JetStreamManager, stream: string, consumer: string, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const info = await jsm.consumers.info(stream, consumer)
    if (info.num_pending === 0 && info.num_ack_pending === 0) return true
    if (Date.now() > deadline) return false
    await sleep(50)
  }
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

// ── the daemon ───────────────────────────────────────────────────────────────────────
interface DaemonSetup {
  dir: string
  configFile: string
  statusPort: number
}

function jsonProfile(id: string, account: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    title: `Benchmark ${id}`,
    account,
    channel: 'sms',
    events: ['sms-send'],
    method: 'POST',
    endpoint: `${url}/${id}`,
    format: 'json',
    body: { id: '<id>', to: '<to>', status: '<status>', detail: { code: '<error.code>' }, ref: '<ref>' },
    headers: { 'X-Api-Key': 'bench-key' },
    retry: { count: 2, intervalSeconds: 10, timeoutMs: 5000 },
    ...extra,
  }
}

export const VARIANTS = ['json', 'get', 'urlencoded', 'encrypted', 'fanout'] as const
export type Variant = (typeof VARIANTS)[number]

function benchProfiles(url: string, rateLimit: Record<string, number>, deadUrl: string): Array<Record<string, unknown>> {
  const rl = { rateLimit }
  return [
    jsonProfile('json', 'bench-json', url, rl),
    { ...jsonProfile('get', 'bench-get', url, rl), method: 'GET', endpoint: `${url}/get?id=<id>&to=<to>&status=<status>&code=<error.code>&ref=<ref>`, body: undefined, format: undefined },
    { ...jsonProfile('urlencoded', 'bench-urlencoded', url, rl), format: 'urlencoded', body: { id: '<id>', to: '<to>', status: '<status>', code: '<error.code>', ref: '<ref>' } },
    jsonProfile('encrypted', 'bench-encrypted', url, { ...rl, encryption: { algorithm: 'aes-256-gcm', key: 'k'.repeat(32), iv: 'random', parameters: ['id', 'to'] } }),
    jsonProfile('fanout-1', 'bench-fanout', url, rl),
    jsonProfile('fanout-2', 'bench-fanout', url, rl),
    jsonProfile('fanout-3', 'bench-fanout', url, rl),
    // The backlog run's dead endpoint: nothing listens there; one retry an hour later.
    jsonProfile('dead', 'bench-dead', deadUrl, { ...rl, retry: { count: 3, intervalSeconds: 3600, timeoutMs: 5000 } }),
  ]
}

async function writeDaemonSetup(natsUrl: string, url: string, deadUrl: string, concurrency: number): Promise<DaemonSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'cr-bench-'))
  await mkdir(join(dir, 'profiles'))
  const statusPort = await freePort()
  const configFile = join(dir, 'callback-router.json')
  await writeFile(
    configFile,
    JSON.stringify({
      nats: { servers: [natsUrl], subjectPrefix: 'callbacks', duplicateWindowSeconds: 120 },
      profilesDir: './profiles',
      delivery: { concurrency, defaultTimeoutMs: 5000, shutdownGraceSeconds: 10 },
      network: { allow: ['127.0.0.0/8'] },
      status: { enabled: true, host: '127.0.0.1', port: statusPort },
      log: { level: 'info' },
    }),
  )
  for (const p of benchProfiles(url, { perSecond: 100_000, maxConcurrent: concurrency }, deadUrl)) {
    await writeFile(join(dir, 'profiles', `${String(p.id)}.json`), JSON.stringify(p))
  }
  return { dir, configFile, statusPort }
}

async function startDaemonProcess(setup: DaemonSetup, cpuProf: string | undefined): Promise<ChildProcess> {
  const args = [...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : []), JS_TARGET, '--config', setup.configFile, 'start']
  // stdout (pino's JSON lines, info level as in production) goes nowhere; errors show.
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] })
  const agent = new Agent()
  const deadline = Date.now() + 30_000
  try {
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`the daemon exited at start with ${proc.exitCode}`)
      try {
        const r = await request(`http://127.0.0.1:${setup.statusPort}/readyz`, { dispatcher: agent })
        await r.body.dump()
        if (r.statusCode === 200) return proc
      } catch {
        // not listening yet
      }
      await sleep(50)
    }
  } finally {
    await agent.close()
  }
  proc.kill('SIGKILL')
  throw new Error('the daemon did not become ready within 30 s')
}

// ── the run ──────────────────────────────────────────────────────────────────────────
export async function runBench(o: BenchOptions): Promise<Record<string, unknown>> {
  const startedAt = new Date()
  const nats = await NatsServer.start()
  const ep = await Endpoint.start()
  const nc: NatsConnection = await connect({ servers: nats.url })
  const js = nc.jetstream()
  const jsm = await nc.jetstreamManager()
  const deadUrl = `http://127.0.0.1:${await freePort()}`
  const setup = await writeDaemonSetup(nats.url, ep.url, deadUrl, o.concurrency)
  const children = new Set<ChildProcess>()
  const track = (p: ChildProcess): ChildProcess => {
    children.add(p)
    p.once('exit', () => children.delete(p))
    return p
  }
  const timeoutMs = Math.max(60_000, o.events * 20)
  const result: Record<string, unknown> = {}
  try {
    o.log(`callback-router benchmark: ${o.events} events per run, concurrency ${o.concurrency}, latency at ${o.rate}/s for ${o.latencySeconds} s`)
    o.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${mb(totalmem())} MB, node ${process.version}`)

    // A: raw undici loop.
    const body = JSON.stringify({ id: 'msg-1', to: '+919876543210', status: 'Delivered', detail: { code: '000' }, ref: '0' })
    await ep.reset(false)
    const rawProc = track(forkScript('load', ['raw', `${ep.url}/raw`, String(o.events), String(o.concurrency), body]))
    const a = await measureDrain(ep, o.events, undefined, timeoutMs)
    await exited(rawProc)
    o.log(`A raw undici POST loop:          ${a.perSecond} req/s`)

    // B: naive forwarder.
    await jsm.streams.add({ name: NAIVE_STREAM, subjects: ['naive.>'], retention: RetentionPolicy.Workqueue, storage: StorageType.File, duplicate_window: nanos(120_000) })
    await jsm.consumers.add(NAIVE_STREAM, { durable_name: NAIVE_CONSUMER, ack_policy: AckPolicy.Explicit, max_ack_pending: Math.max(1000, 4 * o.concurrency), ack_wait: nanos(15_000) })
    // Both B and C first drain a warm-up batch through their own fresh streams and stop: the
    // first run over a new stream was measured 30-40 % slower (nats-server's CPU per event
    // too), which would penalise whichever variant comes first.
    const warm = Math.min(2000, Math.ceil(o.events / 4))
    await publishMany(js, NAIVE_SUBJECT, 'naivewarm', 'bench-json', warm)
    await ep.reset(false)
    const naiveWarm = track(forkScript('load', ['naive', nats.url, `${ep.url}/naive`, String(o.concurrency)]))
    await measureDrain(ep, warm, naiveWarm.pid, timeoutMs, nats.pid)
    await stopProcess(naiveWarm)
    await publishMany(js, NAIVE_SUBJECT, 'naive', 'bench-json', o.events)
    await ep.reset(false)
    const naive = track(forkScript('load', ['naive', nats.url, `${ep.url}/naive`, String(o.concurrency)]))
    const b = await measureDrain(ep, o.events, naive.pid, timeoutMs, nats.pid)
    const bAcked = await allAcked(jsm, NAIVE_STREAM, NAIVE_CONSUMER)
    o.log(`B naive forwarder:               ${b.perSecond} events/s  (${b.cpuSecondsPer10k} CPU s/10k, nats-server ${b.natsCpuSecondsPer10k}, RSS ${b.rssMb} MB)`)
    const bLatency = await measureLatency(ep, js, NAIVE_SUBJECT, 'naivelat', 'bench-json', o)
    o.log(`B latency at ${o.rate}/s:            p50 ${bLatency.p50Ms} ms, p99 ${bLatency.p99Ms} ms, max ${bLatency.maxMs} ms`)
    await stopProcess(naive)

    // C: the daemon, once per profile kind (a fresh process each, the events pre-published).
    // The first start creates the streams and consumers, and drains the warm-up batch.
    const cWarm = track(await startDaemonProcess(setup, undefined))
    await ep.reset(false)
    await publishMany(js, SUBJECT, 'cwarm', 'bench-json', warm)
    await measureDrain(ep, warm, cWarm.pid, timeoutMs, nats.pid)
    await stopProcess(cWarm)
    const c: Record<string, Throughput & { deliveries: number; acked: boolean }> = {}
    let cLatency: Latency | undefined
    for (const v of o.variants) {
      const perEvent = v === 'fanout' ? 3 : 1
      const n = v === 'fanout' ? Math.ceil(o.events / 3) : o.events
      await publishMany(js, SUBJECT, `c${v}`, `bench-${v}`, n)
      await ep.reset(false)
      const d = track(await startDaemonProcess(setup, o.cpuProf))
      const t = await measureDrain(ep, n * perEvent, d.pid, timeoutMs, nats.pid)
      const acked = (await allAcked(jsm, 'CALLBACK_EVENTS', 'events')) && (await allAcked(jsm, 'CALLBACK_JOBS', 'jobs'))
      c[v] = { ...t, deliveries: n * perEvent, acked }
      o.log(`C ${v.padEnd(11)}                   ${t.perSecond} ${v === 'fanout' ? 'deliveries' : 'events'}/s  (${t.cpuSecondsPer10k} CPU s/10k, nats-server ${t.natsCpuSecondsPer10k}, RSS ${t.rssMb} MB, peak ${t.peakRssMb} MB)${acked ? '' : '  NOT ALL ACKED'}`)
      if (v === 'json') {
        cLatency = await measureLatency(ep, js, SUBJECT, 'clat', 'bench-json', o)
        o.log(`C latency at ${o.rate}/s:            p50 ${cLatency.p50Ms} ms, p99 ${cLatency.p99Ms} ms, max ${cLatency.maxMs} ms`)
      }
      await stopProcess(d)
    }
    const cb = c.json ? round(c.json.perSecond / b.perSecond) : null
    const ca = c.json ? round(c.json.perSecond / a.perSecond) : null
    const added = cLatency ? round(cLatency.p99Ms - bLatency.p99Ms) : null
    o.log(`C/A (json) = ${ca}   C/B (json) = ${cb}   p99 added (C − B) = ${added} ms`)
    const ratios: Record<string, { cOverA: number; cOverB: number }> = {}
    for (const v of o.variants) ratios[v] = { cOverA: round(c[v].perSecond / a.perSecond), cOverB: round(c[v].perSecond / b.perSecond) }

    Object.assign(result, {
      startedAt: startedAt.toISOString(),
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryMb: mb(totalmem()), node: process.version, platform: process.platform },
      options: { events: o.events, concurrency: o.concurrency, latencyRate: o.rate, latencySeconds: o.latencySeconds },
      A: a,
      B: { ...b, acked: bAcked, latency: bLatency },
      C: { ...c, latency: cLatency },
      ratios,
      targets: {
        cOverB_json: { value: cb, target: 0.9, met: cb !== null && cb >= 0.9 },
        p99AddedMs: { value: added, target: 5, met: added !== null && added <= 5 },
        rssMb: { value: Math.max(...o.variants.map((v) => c[v].peakRssMb ?? 0)), target: 200, met: o.variants.every((v) => (c[v].peakRssMb ?? 0) <= 200) },
      },
    })

    if (o.backlog) result.backlog = await runBacklog(o, setup, nats, ep, js, jsm, track)
  } finally {
    for (const p of children) await stopProcess(p)
    await nc.close().catch(() => undefined)
    ep.close()
    await nats.close()
    await rm(setup.dir, { recursive: true, force: true })
  }
  if (o.out) {
    await mkdir(join(o.out, '..'), { recursive: true })
    await writeFile(o.out, JSON.stringify(result, null, 2) + '\n')
    o.log(`results: ${o.out}`)
  }
  return result
}

// ── memory with a backlog ────────────────────────────────────────────────────────────
async function runBacklog(o: BenchOptions, setup: DaemonSetup, nats: NatsServer, ep: Endpoint, js: JetStreamClient, jsm: JetStreamManager, track: (p: ChildProcess) => ChildProcess): Promise<Record<string, unknown>> {
  const d = track(await startDaemonProcess(setup, undefined))
  const pid = d.pid!
  const natsPid = nats.pid!
  const healthy = async (label: string): Promise<Throughput> => {
    await ep.reset(false)
    const publishing = publishMany(js, SUBJECT, `healthy${label}`, 'bench-json', o.events)
    const t = await measureDrain(ep, o.events, pid, Math.max(60_000, o.events * 20))
    await publishing
    return t
  }
  try {
    const before = await healthy('before')
    o.log(`backlog: healthy profile before: ${before.perSecond} events/s`)
    const start = sampleProc(pid)
    let peakRss = start.rssBytes
    const samples: Array<{ t: number; rssMb: number; retriesWaiting: number }> = []
    const t0 = Date.now()
    const sampler = setInterval(() => {
      try {
        const s = sampleProc(pid)
        peakRss = Math.max(peakRss, s.rssBytes)
      } catch {
        // the daemon is gone; the run fails below
      }
    }, 250)
    const waiting = async (): Promise<number> => {
      const i = await jsm.consumers.info('CALLBACK_JOBS', 'retries')
      return i.num_pending + i.num_ack_pending
    }
    try {
      // Fill: every event's first attempt fails (connection refused) and parks a retry due in an hour.
      await publishMany(js, SUBJECT, 'dead', 'bench-dead', o.backlogEvents)
      const fillDeadline = Date.now() + 600_000
      let w = await waiting()
      while (w < o.backlogEvents && Date.now() < fillDeadline) {
        await sleep(500)
        w = await waiting()
        samples.push({ t: round((Date.now() - t0) / 1000, 1), rssMb: mb(sampleProc(pid).rssBytes), retriesWaiting: w })
      }
      const filledSeconds = round((Date.now() - t0) / 1000, 1)
      o.log(`backlog: ${w} deliveries waiting on retry after ${filledSeconds} s`)

      // Wait with the backlog parked: what do nats-server and the daemon spend?
      const n0 = sampleProc(natsPid)
      const d0 = sampleProc(pid)
      const w0 = Date.now()
      while (Date.now() - w0 < o.backlogWaitSeconds * 1000) {
        await sleep(1000)
        samples.push({ t: round((Date.now() - t0) / 1000, 1), rssMb: mb(sampleProc(pid).rssBytes), retriesWaiting: await waiting() })
      }
      const waitSeconds = (Date.now() - w0) / 1000
      const n1 = sampleProc(natsPid)
      const d1 = sampleProc(pid)
      const natsCpuPercent = round(((n1.cpuSeconds - n0.cpuSeconds) / waitSeconds) * 100, 1)
      const daemonCpuPercent = round(((d1.cpuSeconds - d0.cpuSeconds) / waitSeconds) * 100, 1)
      o.log(`backlog: while parked for ${round(waitSeconds, 0)} s: nats-server CPU ${natsCpuPercent} %, daemon CPU ${daemonCpuPercent} %, nats-server RSS ${mb(n1.rssBytes)} MB`)

      const during = await healthy('during')
      o.log(`backlog: healthy profile during: ${during.perSecond} events/s (${round(during.perSecond / before.perSecond)} of before)`)
      const end = sampleProc(pid)
      const result = {
        deliveriesWaiting: await waiting(),
        fillSeconds: filledSeconds,
        daemonRssMb: { start: mb(start.rssBytes), peak: mb(Math.max(peakRss, end.rssBytes)), end: mb(end.rssBytes) },
        parked: { seconds: round(waitSeconds, 1), natsServerCpuPercent: natsCpuPercent, daemonCpuPercent, natsServerRssMb: mb(n1.rssBytes) },
        healthyBefore: before,
        healthyDuring: during,
        healthyRatio: round(during.perSecond / before.perSecond),
        samples,
      }
      o.log(`backlog: daemon RSS start ${result.daemonRssMb.start} MB, peak ${result.daemonRssMb.peak} MB, end ${result.daemonRssMb.end} MB`)
      return result
    } finally {
      clearInterval(sampler)
    }
  } finally {
    await stopProcess(d)
  }
}

// ── command line ─────────────────────────────────────────────────────────────────────
export function optionsFromArgv(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string', default: process.env.BENCH_EVENTS ?? '20000' },
      concurrency: { type: 'string', default: '64' },
      'latency-seconds': { type: 'string', default: '10' },
      rate: { type: 'string', default: '1000' },
      backlog: { type: 'boolean', default: false },
      variants: { type: 'string', default: VARIANTS.join(',') },
      'backlog-events': { type: 'string', default: '100000' },
      'backlog-wait': { type: 'string', default: '70' },
      'cpu-prof': { type: 'string' },
      out: { type: 'string' },
    },
  })
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  return {
    events: Number(values.events),
    concurrency: Number(values.concurrency),
    latencySeconds: Number(values['latency-seconds']),
    rate: Number(values.rate),
    variants: (values.variants ?? '').split(',').filter((v): v is Variant => (VARIANTS as readonly string[]).includes(v)),
    backlog: values.backlog ?? false,
    backlogEvents: Number(values['backlog-events']),
    backlogWaitSeconds: Number(values['backlog-wait']),
    cpuProf: values['cpu-prof'],
    out: values.out ?? join(__dirname.endsWith('dist/bench') ? join(__dirname, '..', '..', 'bench') : __dirname, 'results', `bench-${stamp}.json`),
    log: (line) => process.stdout.write(line + '\n'),
  }
}
