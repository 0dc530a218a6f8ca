// A tiny run of `npm run bench` (bench/run.ts), one round: every figure the benchmark
// reports is produced and saved (the rotation between rounds is checked on roundOrder, which
// orders them, so the suite does not pay for a second round of nine process starts). No thresholds: the machine is shared and noisy; the figures
// themselves are read from the full run (docs/performance.md).
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { roundOrder } from '../bench/suite'

const run = promisify(execFile)
const root = join(__dirname, '..')
const entry = join(root, 'dist', 'bench', 'run.js')
// Nine drains, each a process start: minutes when the machine is busy.
t.setTimeout(900_000)

t.test('a small benchmark run reports A, B, P, every C variant, two daemons, latency, CPU, RSS and ratios', async (t) => {
  // npm test builds first; a lone `npx tap` run builds here.
  if (!existsSync(entry) || !existsSync(join(root, 'dist', 'core', 'cli.js'))) await run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root })
  const dir = await mkdtemp(join(tmpdir(), 'cr-bench-smoke-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'result.json')
  const { stdout } = await run(process.execPath, [entry, '--events', '300', '--rounds', '1', '--latency-seconds', '1', '--rate', '200', '--out', out], { cwd: root, timeout: 840_000 })
  t.match(stdout, /A raw undici POST loop/)
  t.match(stdout, /C\/B \(json\)/)

  const r = JSON.parse(await readFile(out, 'utf8')) as Record<string, Record<string, unknown>>
  const positive = (v: unknown): boolean => typeof v === 'number' && v > 0
  t.ok(positive(r.A.perSecond), 'A: requests per second')
  t.ok(positive(r.B.perSecond), 'B: events per second')
  t.ok(positive(r.B.cpuSecondsPer10k) || r.B.cpuSecondsPer10k === 0, 'B: CPU per 10k events')
  const bLatency = r.B.latency as Record<string, number>
  t.ok(bLatency.n > 0 && bLatency.p99Ms >= bLatency.p50Ms && bLatency.maxMs >= bLatency.p99Ms, 'B: latency percentiles')
  for (const v of ['json', 'get', 'urlencoded', 'encrypted', 'fanout']) {
    const c = r.C[v] as Record<string, unknown>
    t.ok(positive(c.perSecond), `C ${v}: per second`)
    t.ok(typeof c.cpuSecondsPer10k === 'number', `C ${v}: CPU per 10k`)
    t.ok(positive(c.rssMb) && positive(c.peakRssMb), `C ${v}: RSS`)
    t.equal(c.acked, true, `C ${v}: every event acknowledged`)
  }
  t.equal((r.C.fanout as Record<string, number>).deliveries, 3 * Math.ceil(300 / 3), 'fan-out counts deliveries')
  const cLatency = r.C.latency as Record<string, number>
  t.ok(cLatency.n > 0 && cLatency.maxMs >= cLatency.p50Ms, 'C: latency percentiles')
  const ratios = r.ratios as Record<string, { cOverA: number; cOverB: number }>
  t.ok(positive(ratios.json.cOverA) && positive(ratios.json.cOverB), 'C/A and C/B')
  t.ok(r.targets.cOverB_json && r.targets.p99AddedMs && r.targets.rssMb, 'targets evaluated')

  // The peer P (BullMQ on the bench's own redis-server) and C with two daemons.
  t.match(stdout, /P BullMQ \+ Redis worker/)
  t.match(stdout, /C\/P \(json\)/)
  t.ok(positive(r.P.perSecond), 'P: events per second')
  t.ok(typeof r.P.cpuSecondsPer10k === 'number' && typeof r.P.redisCpuSecondsPer10k === 'number', 'P: CPU per 10k of the worker and of redis-server')
  t.ok(positive(r.P.rssMb), 'P: RSS')
  t.equal(r.P.acked, true, 'P: every job done')
  const pLatency = r.P.latency as Record<string, number>
  t.ok(pLatency.n > 0 && pLatency.p99Ms >= pLatency.p50Ms, 'P: latency percentiles')
  const two = r.C.twoDaemons as Record<string, unknown>
  t.ok(positive(two.perSecond), 'C two daemons: per second')
  t.ok(typeof two.cpuSecondsPer10k === 'number' && positive(two.rssMb), 'C two daemons: CPU per 10k of both daemons, RSS')
  t.equal(two.acked, true, 'C two daemons: every event acknowledged')
  t.ok(positive(r.twoDaemonsOverOne), 'two daemons over one')
  for (const v of ['json', 'get', 'urlencoded', 'encrypted', 'fanout', 'twoDaemons']) t.ok(positive(ratios[v].cOverA) && positive(ratios[v].cOverB) && positive((ratios[v] as Record<string, number>).cOverP), `C/A, C/B, C/P for ${v}`)
  const rounds = r.rounds as unknown as Array<{ order: string[]; runs: Record<string, unknown> }>
  t.equal(rounds.length, 1, 'one round')
  const second = roundOrder(rounds[0].order, 1)
  t.same(second, [...rounds[0].order.slice(1), rounds[0].order[0]], 'a second round would run the kinds in rotated order')
  t.same(roundOrder(rounds[0].order, rounds[0].order.length), rounds[0].order, 'and a full turn later in the first order again')
  t.same(Object.keys(rounds[0].runs).sort(), ['A', 'B', 'P', 'encrypted', 'fanout', 'get', 'json', 'twoDaemons', 'urlencoded'], 'every kind in every round')
  for (const k of ['cOverB_encrypted', 'cOverB_fanout', 'cOverP_json', 'daemonCpuPer10k_vs_B']) t.ok(r.targets[k], `target ${k} evaluated`)

  // The warm figure: the same drains from a quarter in (arrival 75 of 300), past each process's JIT warm-up.
  t.match(stdout, /warm \(from arrival 75 of 300\): C\/B \(json\) = [\d.]+ {3}C\/P \(json\) = [\d.]+/)
  for (const [k, run] of [['A', r.A], ['B', r.B], ['P', r.P], ['C json', r.C.json], ['C fanout', r.C.fanout]] as const) {
    const warm = (run as { warm?: { from: number; perSecond: number } }).warm
    t.ok(warm && warm.from === 75 && positive(warm.perSecond), `${k}: warm rate from its 75th arrival`)
  }
  const warmRatios = r.warmRatios as Record<string, { cOverB: number; cOverP: number }>
  t.ok(positive(warmRatios.json.cOverB) && positive(warmRatios.json.cOverP), 'warm C/B and C/P')
})
