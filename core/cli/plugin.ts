// `plugin new <name> [--dir d]` scaffolds an external channel plugin; `plugin check <module>`
// runs the conformance kit (callback-router/testing) on one and prints a table.
import { createRequire } from 'node:module'
import { isAbsolute, relative, resolve } from 'node:path'
import type { Command } from 'commander'
import { checkPluginConformance } from '../testing/conformance'
import type { ConformanceReport } from '../testing/report'
import { formatMessage } from '../errors'
import { EXIT_FAILURE, EXIT_USAGE, fail } from './context'
import { table } from './table'
import { scaffoldPlugin, ScaffoldError } from './plugin-scaffold'

/** The module's default export (or the module itself, for CommonJS `module.exports =`). */
export function requirePlugin(spec: string, baseDir: string): unknown {
  const req = createRequire(resolve(baseDir, 'index.js'))
  const target = spec.startsWith('.') || isAbsolute(spec) ? resolve(baseDir, spec) : spec
  const mod = req(req.resolve(target)) as { default?: unknown } | undefined
  return mod && typeof mod === 'object' && 'default' in mod ? mod.default : mod
}

export function formatReport(report: ConformanceReport): string {
  const rows = report.checks.map((c) => [c.check, c.member, c.ok ? 'ok' : 'FAIL', c.detail])
  const failed = report.failures.length
  const verdict = failed === 0 ? `plugin ${report.plugin}: all ${report.checks.length} checks pass` : `plugin ${report.plugin}: ${failed} of ${report.checks.length} checks fail`
  return `${table(['check', 'member', 'result', 'detail'], rows)}\n\n${verdict}\n`
}

function registerCheck(plugin: Command): void {
  plugin
    .command('check')
    .description('runs the plugin conformance kit on a module: contract, examples, renders, encryption, toVariables')
    .argument('<module>', 'module path (relative to the current folder) or package name')
    .option('--json', 'print the report as one JSON document { plugin, ok, checks, failures }')
    .action((spec: string, opts: { json?: boolean }) => {
      let exported: unknown
      try {
        exported = requirePlugin(spec, process.cwd())
      } catch (e) {
        return fail(formatMessage('CONFIG_PLUGIN_LOAD', spec, (e as Error).message.split('\n')[0]))
      }
      const report = checkPluginConformance(exported)
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report))
      if (!report.ok) process.exitCode = EXIT_FAILURE
    })
}

function registerNew(plugin: Command): void {
  plugin
    .command('new')
    .description('writes an external channel plugin (plain JavaScript, no build step) that passes `plugin check`, with its own test')
    .argument('<name>', 'channel name: the subject token and the profiles\' channel, [a-z0-9_-]+')
    .option('--dir <dir>', 'where to write it (default: ./<name>)')
    .action(async (name: string, opts: { dir?: string }) => {
      const dir = resolve(opts.dir ?? name)
      try {
        const files = await scaffoldPlugin(name, dir)
        const shown = relative(process.cwd(), dir) || '.'
        process.stdout.write(`wrote plugin "${name}" in ${shown}:\n${files.map((f) => `  ${f}`).join('\n')}\n`)
        process.stdout.write(`next: callback-router plugin check ${shown.startsWith('.') || isAbsolute(shown) ? shown : `./${shown}`}, then list it in "plugins" of the settings\n`)
      } catch (e) {
        if (e instanceof ScaffoldError) return fail(`${e.code}: ${e.message}`, e.code === 'PLUGIN_DIR_NOT_EMPTY' ? EXIT_FAILURE : EXIT_USAGE)
        throw e
      }
    })
}

export function register(program: Command): void {
  const plugin = program.command('plugin').description('channel plugins: scaffold one (new), prove one (check)')
  registerNew(plugin)
  registerCheck(plugin)
}
