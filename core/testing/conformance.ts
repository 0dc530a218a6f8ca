// The plugin conformance kit (DESIGN "Packages for plugin authors and publishers"): what a
// channel team runs in its own tests, and what `plugin check <module>` prints. It proves a
// plugin against the contract and against the daemon's own checks and compiler, on a
// sample event assembled from the catalog's examples.
import { checkPlugin, type ChannelPlugin } from '../plugin/contract'
import { PluginRegistry } from '../plugin/registry'
import { checkExamples, checkReachable, checkSchema, checkToVariables, sampleVariables, type EventUnderCheck } from './event-checks'
import { checkEncryption, checkRenders } from './render-checks'
import { Rows, type ConformanceReport } from './report'

/** The event name a catch-all plugin's generic `*` event is rendered under. */
const CATCH_ALL_SAMPLE_EVENT = 'conformance-sample'

/**
 * Runs every check on `plugin` (a module's default export): the contract; then per event,
 * the payload schema, the catalog examples against it, every catalog name reachable in the
 * sample, `toVariables` total and pure, the sample rendered in every format and with each
 * encryption algorithm. Never throws for a faulty plugin: every fault is a failing row.
 */
export function checkPluginConformance(plugin: unknown): ConformanceReport {
  const rows = new Rows()
  const name = pluginName(plugin)
  const problems = checkPlugin(plugin)
  if (problems.length) {
    for (const p of problems) {
      const colon = p.indexOf(': ')
      rows.fail('contract', colon > 0 ? p.slice(0, colon) : '(export)', colon > 0 ? p.slice(colon + 2) : p)
    }
    return rows.report(name)
  }
  const p = plugin as ChannelPlugin
  rows.pass('contract', name, 'name, title, events, retry' + (p.toVariables ? ', toVariables' : '') + (p.formatters ? ', formatters' : ''))
  const registry = new PluginRegistry([p])
  for (const [key, spec] of Object.entries(p.events)) {
    checkEvent(rows, registry, { plugin: p, key, event: key === '*' ? CATCH_ALL_SAMPLE_EVENT : key, spec, at: `events.${key}` })
  }
  return rows.report(name)
}

function checkEvent(rows: Rows, registry: PluginRegistry, ev: EventUnderCheck): void {
  const validate = checkSchema(rows, ev)
  if (!validate) return
  const data = checkExamples(rows, ev, validate)
  if (!data) return
  const vars = sampleVariables(ev, data)
  const names = checkReachable(rows, ev, vars)
  const before = rows.list.length
  checkToVariables(rows, ev, data, validate)
  // Renders call toVariables too: once it fails, its own row says so instead of a dozen more.
  if (rows.list.slice(before).some((c) => !c.ok)) return
  checkRenders(rows, registry, ev, data, names)
  checkEncryption(rows, registry, ev, data, vars, names)
}

function pluginName(plugin: unknown): string {
  const n = plugin && typeof plugin === 'object' ? (plugin as { name?: unknown }).name : undefined
  return typeof n === 'string' && n !== '' ? n : '(unnamed)'
}

/** Throws an Error listing every failing row; for plugin tests that prefer one assertion. */
export function assertPluginConformance(plugin: unknown): ConformanceReport {
  const report = checkPluginConformance(plugin)
  if (!report.ok) {
    const lines = report.failures.map((f) => `  ${f.check} ${f.member}: ${f.detail}`)
    throw new Error(`plugin ${report.plugin} fails ${report.failures.length} conformance check(s):\n${lines.join('\n')}`)
  }
  return report
}
