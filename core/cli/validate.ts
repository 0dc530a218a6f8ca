// `validate`: checks settings, every plugin and profile; one problem a line.
import type { Command } from 'commander'
import { loadConfig } from '../config/settings'
import { formatDiagnostic, hasErrors } from '../diagnostics'
import { fail, globalOptions } from './context'
import { loadKvProfiles } from './active-store'

export function register(program: Command): void {
  program
    .command('validate')
    .description('check the settings, every plugin and every profile; errors as file:/json/pointer: message')
    .option('--json', 'print the problems as one JSON document')
    .option('--verbose', 'also print, as notes, the values filled in where a profile leaves them out (channel, retry) or reads them differently (event spelling)')
    .action(async (opts: { json?: boolean; verbose?: boolean }, cmd: Command) => {
      const config = await loadKvProfiles(await loadConfig({ configFile: globalOptions(cmd).config }))
      const { diagnostics } = config
      const notes = opts.verbose ? config.notes : []
      if (opts.json) {
        const doc = { ok: !hasErrors(diagnostics), profiles: config.profiles.length, diagnostics, ...(opts.verbose ? { notes } : {}) }
        process.stdout.write(JSON.stringify(doc, null, 2) + '\n')
        if (hasErrors(diagnostics)) process.exitCode = 1
        return
      }
      for (const d of notes) process.stderr.write(formatDiagnostic(d) + '\n')
      for (const d of diagnostics) process.stderr.write(formatDiagnostic(d) + '\n')
      const errors = diagnostics.filter((d) => d.level === 'error').length
      const warnings = diagnostics.length - errors
      if (errors) fail(`${errors} error(s), ${warnings} warning(s)`)
      process.stdout.write(`ok: ${config.profiles.length} profile(s), ${config.registry.names.length} channel(s)${warnings ? `, ${warnings} warning(s)` : ''}\n`)
    })
}
