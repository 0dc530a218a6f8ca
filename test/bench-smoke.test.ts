// A tiny run of `npm run bench` (bench/run.ts): every figure the benchmark reports is
// produced and saved. No thresholds: the machine is shared and noisy; the figures
// themselves are read from the full run (docs/performance.md).
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const root = join(__dirname, '..')
const entry = join(root, 'dist', 'bench', 'run.js')

t.test('a small benchmark run reports A, B, every C variant, latency, CPU, RSS and ratios', async (t) => {
  // npm test builds first; a lone `npx tap` run builds here.
  if (!existsSync(entry) || !existsSync(join(root, 'dist', 'core', 'cli.js'))) await run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root })
  const dir = await mkdtemp(join(tmpdir(), 'cr-bench-smoke-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'result.json')
  const { stdout } = await run(process.execPath, [entry, '--events', '300', '--latency-seconds', '1', '--rate', '200', '--out', out], { cwd: root, timeout: 240_000 })
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
})
