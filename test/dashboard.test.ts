// The Grafana dashboard shipped in docker/observability: valid JSON of the dashboard model,
// every panel with a query, and every metric a query names registered by the daemon.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createMetrics } from '../core/daemon/metrics'
import { PluginRegistry } from '../core/plugin/registry'
import { builtins } from '../plugins'

interface Target { refId: string; expr: string }
interface Panel { id: number; title: string; type: string; targets?: Target[]; datasource?: { uid: string } }
interface Dashboard { uid: string; title: string; panels: Panel[] }

const file = join(__dirname, '..', 'docker', 'observability', 'grafana', 'callback-router-dashboard.json')
const dashboard = JSON.parse(readFileSync(file, 'utf8')) as Dashboard

t.test('the dashboard parses, has a uid and title, and every panel has a unique id and at least one query', async (t) => {
  t.equal(dashboard.uid, 'callback-router')
  t.ok(dashboard.panels.length >= 10)
  t.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length, 'panel ids are unique')
  for (const p of dashboard.panels) {
    t.ok(p.targets && p.targets.length > 0, `${p.title}: has a query`)
    t.equal(p.datasource?.uid, 'prometheus', `${p.title}: reads the provisioned Prometheus`)
  }
})

t.test('every metric a panel queries is one the daemon registers', async (t) => {
  const registry = new PluginRegistry(builtins)
  const metrics = createMetrics(registry, { defaultMetrics: false })
  const known = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name))
  const named = new Set<string>()
  for (const p of dashboard.panels) {
    for (const target of p.targets ?? []) {
      for (const m of target.expr.match(/callback_router_[a-z_]+/g) ?? []) named.add(m.replace(/_(bucket|sum|count)$/, ''))
    }
  }
  t.ok(named.size >= 12, `the panels name ${named.size} metrics`)
  for (const m of named) t.ok(known.has(m), `${m} is registered`)
  for (const wanted of ['callback_router_deliveries_total', 'callback_router_attempt_duration_seconds', 'callback_router_retries_waiting', 'callback_router_dead_letters_total', 'callback_router_profile_state', 'callback_router_daemons']) {
    t.ok(named.has(wanted), `a panel shows ${wanted}`)
  }
})
