// `npm run chaos`: every reliability scenario at full size, one table at the end.
// CHAOS_ONLY=crash,fuzz runs a subset; CHAOS_HELD sets held-isolation's size (default 100,000); CHAOS_SEED seeds the random kill moments and the
// fuzzer; CHAOS_JSON=<file> also writes the results as JSON. Exit 1 when anything was
// lost or a check failed.
import { writeFileSync } from 'node:fs'
import { crashScenario } from './crash'
import { endpointDownScenario } from './endpoint-down'
import { endpointFaultsScenario } from './endpoint-faults'
import { fuzzScenario } from './fuzz'
import { heldIsolationScenario } from './held-isolation'
import { isolationScenario } from './isolation'
import { clusterScenario, natsRestartScenario } from './nats-faults'
import { sharedLimitScenario } from './shared-limits'
import { hostileInputScenario, secretsScenario, ssrfScenario, tenantScenario } from './security'
import type { ScenarioResult } from './lib'

const seed = Number(process.env.CHAOS_SEED ?? 1)
const scenarios: Array<[string, () => Promise<ScenarioResult>]> = [
  ['crash', () => crashScenario({ events: 5000, kills: 8, ratePerSecond: 250, seed })],
  ['nats-restart', () => natsRestartScenario({ events: 3000, ratePerSecond: 150, outageMs: 5000 })],
  ['cluster', () => clusterScenario({ events: 3000, ratePerSecond: 150, downMs: 5000 })],
  ['cluster-shared-limits', () => sharedLimitScenario({ events: 1500, ratePerSecond: 65, perSecond: 50, maxConcurrent: 8, answerDelayMs: 60, fault: 'node', faultAfter: 0.35, downMs: 5000 })],
  ['endpoint-faults', () => endpointFaultsScenario({ perFault: 20, hugeBodyBytes: 32 * 1048576 })],
  ['fuzz', () => fuzzScenario({ messages: 3000, profiles: 200, seed })],
  ['ssrf', () => ssrfScenario()],
  ['tenant-isolation', () => tenantScenario({ rounds: 20 })],
  ['secrets', () => secretsScenario()],
  ['hostile-input', () => hostileInputScenario({ rounds: 5 })],
  ['endpoint-down', () => endpointDownScenario({ downSeconds: 60, aRatePerSecond: 100, bEvents: 2000, besideAfterSeconds: 5, breakerFailures: 20, breakerOpenSeconds: 5 })],
  ['held-isolation', () => heldIsolationScenario({ held: Number(process.env.CHAOS_HELD ?? 100_000), busy: 5000, idleSeconds: 20 })],
  ['slow-endpoint-isolation', () => isolationScenario({ fast: 2000, slow: 30, flappy: 200, slowTimeoutMs: 60_000, slowRetries: 0, maxConcurrent: 10, concurrency: 16 })],
]

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  const line = (r: string[]): string => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`
  return [line(rows[0]), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`, ...rows.slice(1).map(line)].join('\n')
}

async function main(): Promise<void> {
  const only = process.env.CHAOS_ONLY?.split(',').map((s) => s.trim())
  const results: ScenarioResult[] = []
  let failed = false
  for (const [name, run] of scenarios) {
    if (only && !only.includes(name)) continue
    process.stderr.write(`▶ ${name} … `)
    let r: ScenarioResult
    try {
      r = await run()
    } catch (e) {
      failed = true
      process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`)
      continue
    }
    results.push(r)
    const bad = r.checks.filter((c) => !c.ok)
    if (bad.length || r.lost) failed = true
    process.stderr.write(`${r.seconds.toFixed(0)} s, lost ${r.lost}, ${bad.length ? `${bad.length} FAILED checks` : 'all checks passed'}\n`)
    for (const c of r.checks) process.stderr.write(`    ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${!c.ok && c.detail ? `: ${c.detail}` : ''}\n`)
    for (const n of r.notes) process.stderr.write(`    · ${n}\n`)
  }
  const rows = [['scenario', 'events published', 'deliveries expected', 'delivered (unique)', 'duplicates', 'dead letters (by reason)', 'lost', 'max RSS', 'checks', 'time']]
  for (const r of results) {
    const dead = Object.entries(r.dead).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || '0'
    const passed = r.checks.filter((c) => c.ok).length
    rows.push([r.scenario, String(r.events), String(r.units), String(r.delivered), String(r.duplicates), dead, String(r.lost), `${Math.round(r.maxRssKb / 1024)} MiB`, `${passed}/${r.checks.length}`, `${r.seconds.toFixed(0)} s`])
  }
  process.stdout.write(`\n${table(rows)}\n\nseed ${seed}, node ${process.version}, ${new Date().toISOString()}\n`)
  if (process.env.CHAOS_JSON) writeFileSync(process.env.CHAOS_JSON, JSON.stringify(results, null, 2))
  process.exit(failed ? 1 : 0)
}

void main()
