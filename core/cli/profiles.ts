// `profiles [--search words]`: the Callback Profiles page, searched by title.
import type { Command } from 'commander'
import { fail, loadCliConfig } from './context'
import { table } from './table'
import type { ProfileRow } from '../json-shapes'
import { registerStoreCommands } from './profile-push'
import { listProfiles } from '../config/profile-list'
import * as health from './profile-health'

export type { ProfileRow }
// The listing lives below the CLI, where the console shares it.
export { listProfiles, titleMatches } from '../config/profile-list'

export function renderProfiles(rows: readonly ProfileRow[]): string {
  // The endpoint goes last: it is the long column, and nothing after it needs aligning.
  const header = ['ID', 'TITLE', 'ACCOUNT', 'CHANNEL', 'EVENTS', 'METHOD', 'ENABLED', 'STATE', 'ENDPOINT']
  return table(header, rows.map((r) => [r.id, r.title, r.account, r.channel, r.events.join(','), r.method, r.enabled ? 'yes' : 'no', r.stateReason && r.state !== 'closed' ? `${r.state} (${r.stateReason})` : r.state, r.endpoint]))
}

export function register(program: Command): void {
  const profiles = program.command('profiles')
  registerStoreCommands(profiles)
  profiles
    .description('list the callback profiles: id, title, account, channel, events, method, endpoint, enabled, health state')
    .option('--search <words>', 'only profiles whose title holds every one of these words (case-insensitive)')
    .option('--nats <urls>', 'NATS server URLs for the health state, comma-separated (overrides NATS_URL and the settings)')
    .option('--json', 'print [{ id, title, account, channel, events, method, endpoint, enabled, state, stateReason }]')
    .action(async (opts: { search?: string; json?: boolean; nats?: string }, cmd: Command) => {
      // A listing shows what loaded; problems in other files go to stderr.
      const config = await loadCliConfig(cmd, { tolerateErrors: true })
      // Unless the settings themselves failed (then there is nothing trustworthy to list).
      const settingsBroken = config.diagnostics.some((d) => d.level === 'error' && d.file === config.settingsFile && !d.pointer.startsWith('/plugins/'))
      if (settingsBroken) fail(`profiles: cannot list profiles: ${config.settingsFile} has errors (above)`)
      const states = await health.readStates(config, opts.nats ? opts.nats.split(',').map((x) => x.trim()).filter(Boolean) : undefined)
      if (!states) process.stderr.write('profiles: NATS cannot be reached: the health state is unknown\n')
      const rows = listProfiles(config, opts.search, states)
      if (opts.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n')
        return
      }
      if (rows.length === 0) {
        process.stdout.write(opts.search ? `no profile title matches "${opts.search}"\n` : `no profiles in ${config.profilesDir}\n`)
        return
      }
      process.stdout.write(renderProfiles(rows) + '\n')
    })
  health.register(profiles)
}
