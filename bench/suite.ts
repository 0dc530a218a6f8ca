// The end-to-end benchmark (npm run bench; issues "Performance" and "Performance II"). In
// one run, on one machine, against one HTTP endpoint in its own process, one nats-server
// and one redis-server, all with the same concurrency and the same event:
//   A  a raw undici POST loop (what nothing can beat)
//   B  a naive forwarder: pull consumer → undici POST → ack
//   P  the peer a Node team would otherwise build: a BullMQ queue on Redis, a Worker POSTing
//      each job with undici (attempts 3, exponential backoff, removeOnComplete)
//   C  callback-router (`node dist/core/cli.js start`, its own process) end to end, with the
//      attempt log on, a per-profile rate limit high enough not to bind, and for profiles:
//      JSON body + header, GET + query string, urlencoded, JSON + AES-GCM of two values,
//      and a fan-out to 3 profiles (reported per delivery); and the JSON profile with two
//      daemons on the same NATS (scale-out: what sharing the work costs)
//   C' with `--compare <dist>[,<dist>…]`: the JSON profile on other builds' daemons (older
//      commits, built in worktrees), in the same rounds: a before/after of changes in one run
// Throughput drains N pre-sent events (first to last arrival at the endpoint), in rounds;
// each round runs every kind once, the order rotated by one between rounds so no kind is
// always first or last; each kind's best round is reported (and every round is kept).
// Latency sends at a steady rate and measures send → arrival; CPU seconds and RSS come
// from /proc. `--backlog` adds the memory-under-backlog run (bench/backlog.ts).
import type { ChildProcess } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { AckPolicy, connect, RetentionPolicy, StorageType, nanos, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats'
import type { Queue } from 'bullmq'
import { freePort, NatsServer } from '../test/helpers/nats-server'
import { runBacklog } from './backlog'
import { spawnDaemon, startDaemonProcess, VARIANTS, waitReady, writeDaemonSetup, type DaemonSetup, type Variant } from './daemon-proc'
import { NAIVE_CONSUMER, NAIVE_STREAM, NAIVE_SUBJECT } from './load'
import { allAcked, drained, Endpoint, eventOf, exited, forkScript, measureDrain, measureLatency, ready, round, sendMany, stopProcess, warmFrom, type Latency, type Send, type Throughput } from './measure'
import { addJob, jobsLeft, peerQueue } from './peer'
import { mb } from './proc'
import { RedisServer } from './redis'

export { VARIANTS, type Variant } from './daemon-proc'

export interface BenchOptions {
  events: number
  concurrency: number
  /** Throughput rounds; each kind's best is reported. */
  rounds: number
  latencySeconds: number
  rate: number
  /** Which C runs (default all); with json, C with two daemons runs too. */
  variants: readonly Variant[]
  backlog: boolean
  backlogEvents: number
  backlogWaitSeconds: number
  /** A folder for the daemon's --cpu-prof output. */
  cpuProf?: string
  /** Other builds' dist/ folders whose daemons also run the JSON profile (kinds `compare1`, `compare2`, …). */
  compare: readonly string[]
  out?: string
  log: (line: string) => void
}

const SUBJECT = 'callbacks.sms.sms-send'
/** The key of C's JSON profile run by two daemons at once. */
const TWO = 'twoDaemons'
/** The keys of C's JSON profile on the --compare builds: compare1, compare2, … */
const compareKey = (i: number): string => `compare${i + 1}`

type Run = Throughput & { deliveries?: number; acked?: boolean }

interface World {
  o: BenchOptions
  nats: NatsServer
  redis: RedisServer
  ep: Endpoint
  js: JetStreamClient
  jsm: JetStreamManager
  queue: Queue
  setup: DaemonSetup
  track: (p: ChildProcess) => ChildProcess
  timeoutMs: number
}

function jsSend(js: JetStreamClient, subject: string, account: string): Send {
  return (id, ref) => js.publish(subject, Buffer.from(JSON.stringify(eventOf(id, account, ref))), { msgID: id })
}

function peerSend(queue: Queue, account: string): Send {
  return (id, ref) => addJob(queue, id, eventOf(id, account, ref))
}

// ── one drain of each kind ───────────────────────────────────────────────────────────
async function runA(w: World): Promise<Run> {
  const body = JSON.stringify({ id: 'msg-1', to: '+919876543210', status: 'Delivered', detail: { code: '000' }, ref: '0' })
  await w.ep.resetForDrain(w.o.events)
  const proc = w.track(forkScript('load', ['raw', `${w.ep.url}/raw`, String(w.o.events), String(w.o.concurrency), body]))
  const t = await measureDrain(w.ep, w.o.events, undefined, w.timeoutMs)
  await exited(proc)
  return t
}

async function runB(w: World, prefix: string, n: number): Promise<Run> {
  await sendMany(jsSend(w.js, NAIVE_SUBJECT, 'bench-json'), prefix, n)
  await w.ep.resetForDrain(n)
  const proc = w.track(forkScript('load', ['naive', w.nats.url, `${w.ep.url}/naive`, String(w.o.concurrency)]))
  try {
    const t = await measureDrain(w.ep, n, { consumers: [proc.pid!], nats: w.nats.pid }, w.timeoutMs)
    return { ...t, acked: await allAcked(w.jsm, NAIVE_STREAM, NAIVE_CONSUMER) }
  } finally {
    await stopProcess(proc)
  }
}

async function startPeer(w: World): Promise<ChildProcess> {
  const proc = w.track(forkScript('peer', [String(w.redis.port), `${w.ep.url}/peer`, String(w.o.concurrency)]))
  await ready(proc, 'the BullMQ worker')
  return proc
}

async function runP(w: World, prefix: string, n: number): Promise<Run> {
  await sendMany(peerSend(w.queue, 'bench-json'), prefix, n)
  await w.ep.resetForDrain(n)
  const proc = await startPeer(w)
  try {
    const t = await measureDrain(w.ep, n, { consumers: [proc.pid!], redis: w.redis.pid }, w.timeoutMs)
    return { ...t, acked: await drained(() => jobsLeft(w.queue)) }
  } finally {
    await stopProcess(proc)
  }
}

/** C: one daemon (or two, `daemons` 2; of another build: `dist`) drains n events of a profile kind. */
async function runC(w: World, v: Variant, prefix: string, n: number, daemons = 1, dist?: string): Promise<Run> {
  const perEvent = v === 'fanout' ? 3 : 1
  await sendMany(jsSend(w.js, SUBJECT, `bench-${v}`), prefix, n)
  await w.ep.resetForDrain(n * perEvent)
  // Spawned together and measured from the first arrival: with two, neither drains alone
  // for long while the other starts.
  const procs = Array.from({ length: daemons }, (_, i) => w.track(spawnDaemon(w.setup, w.o.cpuProf, i, dist)))
  try {
    const [t] = await Promise.all([measureDrain(w.ep, n * perEvent, { consumers: procs.map((p) => p.pid!), nats: w.nats.pid }, w.timeoutMs), ...procs.map((p, i) => waitReady(w.setup, p, i))])
    const acked = (await allAcked(w.jsm, 'CALLBACK_EVENTS', 'events')) && (await allAcked(w.jsm, 'CALLBACK_JOBS', 'jobs'))
    return { ...t, deliveries: n * perEvent, acked }
  } finally {
    await Promise.all(procs.map((p) => stopProcess(p)))
  }
}

function describe(key: string, r: Run): string {
  const unit = key === 'A' ? 'req/s' : key === 'fanout' ? 'deliveries/s' : 'events/s'
  const cpu = r.cpuSecondsPer10k === undefined ? '' : `  (${r.cpuSecondsPer10k} CPU s/10k${r.natsCpuSecondsPer10k !== undefined ? `, nats-server ${r.natsCpuSecondsPer10k}` : ''}${r.redisCpuSecondsPer10k !== undefined ? `, redis-server ${r.redisCpuSecondsPer10k}` : ''}, RSS ${r.rssMb} MB)`
  const warm = r.warm ? `  warm ${r.warm.perSecond}${r.warm.cpuSecondsPer10k !== undefined ? ` (${r.warm.cpuSecondsPer10k})` : ''}` : ''
  return `${r.perSecond} ${unit}${cpu}${warm}${r.acked === false ? '  NOT ALL ACKED' : ''}`
}

const LABEL: Record<string, string> = { A: 'A raw undici POST loop', B: 'B naive forwarder', P: 'P BullMQ + Redis worker', [TWO]: 'C json, two daemons' }

/** Kinds in round r: the list rotated left by r. */
export function roundOrder<T>(kinds: readonly T[], r: number): T[] {
  const k = r % Math.max(1, kinds.length)
  return [...kinds.slice(k), ...kinds.slice(0, k)]
}

async function runRounds(w: World): Promise<{ rounds: Array<{ order: string[]; loadAvg: number[]; runs: Record<string, Run> }>; best: Record<string, Run> }> {
  const { o } = w
  const kinds = ['A', 'B', 'P', ...o.variants, ...(o.variants.includes('json') ? [TWO] : []), ...o.compare.map((_, i) => compareKey(i))]
  const rounds: Array<{ order: string[]; loadAvg: number[]; runs: Record<string, Run> }> = []
  const best: Record<string, Run> = {}
  for (let r = 0; r < o.rounds; r++) {
    const order = roundOrder(kinds, r)
    const runs: Record<string, Run> = {}
    o.log(`round ${r + 1} of ${o.rounds}: ${order.join(', ')}  (load average ${loadavg().map((x) => round(x)).join(' ')})`)
    for (const k of order) {
      const prefix = `r${r}${k}`
      const n = k === 'fanout' ? Math.ceil(o.events / 3) : o.events
      const t = k === 'A' ? await runA(w) : k === 'B' ? await runB(w, prefix, n) : k === 'P' ? await runP(w, prefix, n) : k === TWO ? await runC(w, 'json', prefix, n, 2) : k.startsWith('compare') ? await runC(w, 'json', prefix, n, 1, o.compare[Number(k.slice(7)) - 1]) : await runC(w, k as Variant, prefix, n)
      runs[k] = t
      if (!best[k] || t.perSecond > best[k].perSecond) best[k] = t
      o.log(`  ${(LABEL[k] ?? `C ${k}`).padEnd(28)} ${describe(k, t)}`)
    }
    rounds.push({ order, loadAvg: loadavg().map((x) => round(x)), runs })
  }
  return { rounds, best }
}

/** B, P and C each first drain a warm-up batch through their fresh store and stop: the first
 * run over a new stream was measured 30-40 % slower, which would penalise whoever came first. */
async function warmUp(w: World): Promise<void> {
  const warm = Math.min(2000, Math.ceil(w.o.events / 4))
  await runB(w, 'naivewarm', warm)
  await runP(w, 'peerwarm', warm)
  // The daemon's first start creates its streams and consumers, so C publishes after it.
  const d = w.track(await startDaemonProcess(w.setup, undefined))
  try {
    await w.ep.reset(false)
    await sendMany(jsSend(w.js, SUBJECT, 'bench-json'), 'cwarm', warm)
    await measureDrain(w.ep, warm, undefined, w.timeoutMs)
  } finally {
    await stopProcess(d)
  }
}

async function latencyOf(w: World, start: () => Promise<ChildProcess>, send: Send, prefix: string): Promise<Latency> {
  const proc = await start()
  try {
    return await measureLatency(w.ep, send, prefix, w.o.rate, w.o.latencySeconds)
  } finally {
    await stopProcess(proc)
  }
}

// ── the run ──────────────────────────────────────────────────────────────────────────
export async function runBench(o: BenchOptions): Promise<Record<string, unknown>> {
  const startedAt = new Date()
  const nats = await NatsServer.start()
  const redis = await RedisServer.start()
  const ep = await Endpoint.start()
  const nc: NatsConnection = await connect({ servers: nats.url })
  const queue = peerQueue(redis.port)
  const deadUrl = `http://127.0.0.1:${await freePort()}`
  const children = new Set<ChildProcess>()
  const track = (p: ChildProcess): ChildProcess => {
    children.add(p)
    p.once('exit', () => children.delete(p))
    return p
  }
  const w: World = { o, nats, redis, ep, js: nc.jetstream(), jsm: await nc.jetstreamManager(), queue, setup: await writeDaemonSetup(nats.url, ep.url, deadUrl, o.concurrency), track, timeoutMs: Math.max(60_000, o.events * 20) }
  const result: Record<string, unknown> = {}
  try {
    o.log(`callback-router benchmark: ${o.events} events per run, ${o.rounds} rounds, concurrency ${o.concurrency}, latency at ${o.rate}/s for ${o.latencySeconds} s`)
    o.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${mb(totalmem())} MB, node ${process.version}, load average ${loadavg().map((x) => round(x)).join(' ')}`)
    await w.jsm.streams.add({ name: NAIVE_STREAM, subjects: ['naive.>'], retention: RetentionPolicy.Workqueue, storage: StorageType.File, duplicate_window: nanos(120_000) })
    await w.jsm.consumers.add(NAIVE_STREAM, { durable_name: NAIVE_CONSUMER, ack_policy: AckPolicy.Explicit, max_ack_pending: Math.max(1000, 4 * o.concurrency), ack_wait: nanos(15_000) })
    await warmUp(w)
    const { rounds, best } = await runRounds(w)

    const startNaive = async (): Promise<ChildProcess> => {
      const proc = track(forkScript('load', ['naive', nats.url, `${ep.url}/naive`, String(o.concurrency)]))
      await ready(proc, 'the naive forwarder')
      return proc
    }
    const bLatency = await latencyOf(w, startNaive, jsSend(w.js, NAIVE_SUBJECT, 'bench-json'), 'naivelat')
    o.log(`B latency at ${o.rate}/s:  p50 ${bLatency.p50Ms} ms, p99 ${bLatency.p99Ms} ms, max ${bLatency.maxMs} ms`)
    const pLatency = await latencyOf(w, () => startPeer(w), peerSend(queue, 'bench-json'), 'peerlat')
    o.log(`P latency at ${o.rate}/s:  p50 ${pLatency.p50Ms} ms, p99 ${pLatency.p99Ms} ms, max ${pLatency.maxMs} ms`)
    const cLatency = o.variants.includes('json') ? await latencyOf(w, async () => track(await startDaemonProcess(w.setup, undefined)), jsSend(w.js, SUBJECT, 'bench-json'), 'clat') : undefined
    if (cLatency) o.log(`C latency at ${o.rate}/s:  p50 ${cLatency.p50Ms} ms, p99 ${cLatency.p99Ms} ms, max ${cLatency.maxMs} ms`)

    Object.assign(result, summarise(o, startedAt, rounds, best, { B: bLatency, P: pLatency, C: cLatency }))
    if (o.backlog) result.backlog = await runBacklog(o, w.setup, nats, ep, (account) => jsSend(w.js, SUBJECT, account), w.jsm, track)
  } finally {
    for (const p of children) await stopProcess(p)
    await queue.close().catch(() => undefined)
    await nc.close().catch(() => undefined)
    ep.close()
    await nats.close()
    await redis.close()
    await rm(w.setup.dir, { recursive: true, force: true })
  }
  if (o.out) {
    await mkdir(join(o.out, '..'), { recursive: true })
    await writeFile(o.out, JSON.stringify(result, null, 2) + '\n')
    o.log(`results: ${o.out}`)
  }
  return result
}

// ── the figures ──────────────────────────────────────────────────────────────────────
function summarise(o: BenchOptions, startedAt: Date, rounds: Array<{ order: string[]; loadAvg: number[]; runs: Record<string, Run> }>, best: Record<string, Run>, latency: { B: Latency; P: Latency; C?: Latency }): Record<string, unknown> {
  const ratio = (x: Run | undefined, y: Run | undefined): number | null => (x && y ? round(x.perSecond / y.perSecond) : null)
  const ratios: Record<string, { cOverA: number | null; cOverB: number | null; cOverP: number | null }> = {}
  const compared = o.compare.map((dist, i) => ({ dist, key: compareKey(i) }))
  const extra = [...(best[TWO] ? [TWO] : []), ...compared.map((c) => c.key)]
  for (const v of [...o.variants, ...extra]) ratios[v] = { cOverA: ratio(best[v], best.A), cOverB: ratio(best[v], best.B), cOverP: ratio(best[v], best.P) }
  const cb = ratios.json?.cOverB ?? null
  const cp = ratios.json?.cOverP ?? null
  const added = latency.C ? round(latency.C.p99Ms - latency.B.p99Ms) : null
  const daemonCpu = best.json?.cpuSecondsPer10k ?? null
  const rss = Math.max(...o.variants.map((v) => best[v]?.rssMb ?? 0))
  const atLeast = (v: number | null | undefined, t: number): boolean => v !== null && v !== undefined && v >= t
  o.log(`C/A (json) = ${ratios.json?.cOverA ?? null}   C/B (json) = ${cb}   C/P (json) = ${cp}   two daemons / one = ${ratio(best[TWO], best.json)}   p99 added (C − B) = ${added} ms`)
  // The same drains from a quarter in: each process starts cold, and the daemon has the most
  // code to compile; this is the rate each keeps once warm (best warm round of each kind).
  const warmBest = (k: string): number | undefined => Math.max(...rounds.map((r) => r.runs[k]?.warm?.perSecond ?? 0)) || undefined
  const warmRatio = (x: string, y: string): number | null => {
    const a = warmBest(x)
    const b = warmBest(y)
    return a !== undefined && b !== undefined ? round(a / b) : null
  }
  const warm: Record<string, { cOverB: number | null; cOverP: number | null }> = {}
  for (const v of [...o.variants, ...extra]) warm[v] = { cOverB: warmRatio(v, 'B'), cOverP: warmRatio(v, 'P') }
  const warmRound = (r: { runs: Record<string, Run> }, y: string): number | null => (r.runs.json?.warm && r.runs[y]?.warm ? round(r.runs.json.warm.perSecond / r.runs[y].warm!.perSecond) : null)
  o.log(`warm (from arrival ${warmFrom(o.events)} of ${o.events}): C/B (json) = ${warm.json?.cOverB ?? null}   C/P (json) = ${warm.json?.cOverP ?? null}   per round C/P ${rounds.map((r) => warmRound(r, 'P')).join(' ')}`)
  for (const c of compared) {
    o.log(`${c.key} = ${c.dist}: C'/B (json) = ${ratios[c.key].cOverB}   C/C' = ${ratio(best.json, best[c.key])}   per round C/B ${rounds.map((r) => ratio(r.runs.json, r.runs.B)).join(' ')}, C'/B ${rounds.map((r) => ratio(r.runs[c.key], r.runs.B)).join(' ')}`)
  }
  const perRound = rounds.map((r) => ({
    ...r,
    cOverB: Object.fromEntries(Object.keys(r.runs).filter((k) => !['A', 'B', 'P'].includes(k)).map((k) => [k, ratio(r.runs[k], r.runs.B)])),
    cOverP_json: ratio(r.runs.json, r.runs.P),
    warm: { cOverB_json: warmRound(r, 'B'), cOverP_json: warmRound(r, 'P') },
  }))
  const C: Record<string, unknown> = { latency: latency.C }
  for (const k of [...o.variants, ...extra]) C[k] = { ...best[k], rounds: rounds.map((r) => r.runs[k].perSecond) }
  return {
    startedAt: startedAt.toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryMb: mb(totalmem()), node: process.version, platform: process.platform, loadAvgAtEnd: loadavg().map((x) => round(x)) },
    options: { events: o.events, rounds: o.rounds, concurrency: o.concurrency, latencyRate: o.rate, latencySeconds: o.latencySeconds },
    A: { ...best.A, rounds: rounds.map((r) => r.runs.A.perSecond) },
    B: { ...best.B, latency: latency.B, rounds: rounds.map((r) => r.runs.B.perSecond) },
    P: { ...best.P, latency: latency.P, rounds: rounds.map((r) => r.runs.P.perSecond) },
    C,
    ratios,
    warmRatios: { from: warmFrom(o.events), ...warm },
    twoDaemonsOverOne: ratio(best[TWO], best.json),
    compare: compared.map((c) => ({ ...c, cOverB: ratios[c.key].cOverB, thisOverIt: ratio(best.json, best[c.key]) })),
    rounds: perRound,
    targets: {
      cOverB_json: { value: cb, target: 1.0, met: atLeast(cb, 1.0) },
      cOverB_encrypted: { value: ratios.encrypted?.cOverB ?? null, target: 0.85, met: atLeast(ratios.encrypted?.cOverB, 0.85) },
      cOverB_fanout: { value: ratios.fanout?.cOverB ?? null, target: 0.6, met: atLeast(ratios.fanout?.cOverB, 0.6) },
      cOverP_json: { value: cp, target: 1.3, met: atLeast(cp, 1.3) },
      daemonCpuPer10k_vs_B: { value: daemonCpu, target: best.B.cpuSecondsPer10k ?? null, met: daemonCpu !== null && best.B.cpuSecondsPer10k !== undefined && daemonCpu <= best.B.cpuSecondsPer10k },
      p99AddedMs: { value: added, target: 5, met: added !== null && added <= 5 },
      rssMb: { value: rss, target: 150, met: rss <= 150 },
    },
  }
}

// ── command line ─────────────────────────────────────────────────────────────────────
export function optionsFromArgv(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string', default: process.env.BENCH_EVENTS ?? '20000' },
      concurrency: { type: 'string', default: '64' },
      rounds: { type: 'string', default: '3' },
      'latency-seconds': { type: 'string', default: '10' },
      rate: { type: 'string', default: '1000' },
      backlog: { type: 'boolean', default: false },
      variants: { type: 'string', default: VARIANTS.join(',') },
      'backlog-events': { type: 'string', default: '100000' },
      'backlog-wait': { type: 'string', default: '70' },
      'cpu-prof': { type: 'string' },
      compare: { type: 'string' },
      out: { type: 'string' },
    },
  })
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  return {
    events: Number(values.events),
    concurrency: Number(values.concurrency),
    rounds: Math.max(1, Number(values.rounds)),
    latencySeconds: Number(values['latency-seconds']),
    rate: Number(values.rate),
    variants: (values.variants ?? '').split(',').filter((v): v is Variant => (VARIANTS as readonly string[]).includes(v)),
    backlog: values.backlog ?? false,
    backlogEvents: Number(values['backlog-events']),
    backlogWaitSeconds: Number(values['backlog-wait']),
    cpuProf: values['cpu-prof'],
    compare: (values.compare ?? '').split(',').filter(Boolean),
    out: values.out ?? join(__dirname.endsWith('dist/bench') ? join(__dirname, '..', '..', 'bench') : __dirname, 'results', `bench-${stamp}.json`),
    log: (line) => process.stdout.write(line + '\n'),
  }
}
