// `profiles [--search words]`: the Callback Profiles page, searched by title.
import type { Command } from 'commander'
import type { LoadedConfig } from '../config/settings'
import { fail, loadCliConfig } from './context'
import type { ProfileRow } from '../json-shapes'
import { secrets } from '../redact'
import { registerStoreCommands } from './profile-push'

export type { ProfileRow }


/** True when every whitespace-separated word occurs in `title`, ignoring case. */
export function titleMatches(title: string, search: string | undefined): boolean {
  const words = (search ?? '').toLowerCase().split(/\s+/).filter(Boolean)
  const t = title.toLowerCase()
  return words.every((w) => t.includes(w))
}

export function listProfiles(config: Pick<LoadedConfig, 'profiles' | 'registry'>, search?: string): ProfileRow[] {
  return config.profiles
    .map(({ profile: p, raw }) => {
      const plugin = config.registry.get(p.channel)
      const events = p.events ?? (plugin?.catchAll ? ['*'] : config.registry.eventsOf(p.channel))
      // The endpoint as written: a `${env:…}` in it stays unexpanded, as on the page.
      const written = (raw as { endpoint?: unknown }).endpoint
      // Any other field may come from `${env:…}` too (an account, an event): its reference shows.
      return secrets.redactDeep({
        id: p.id,
        title: p.title,
        account: p.account,
        channel: p.channel,
        events: [...events],
        method: p.method ?? 'POST',
        endpoint: typeof written === 'string' ? written : p.endpoint,
        enabled: p.enabled ?? true,
      })
    })
    .filter((r) => titleMatches(r.title, search))
    .sort((a, b) => a.id.localeCompare(b.id))
}

export function renderProfiles(rows: readonly ProfileRow[]): string {
  // The endpoint goes last: it is the long column, and nothing after it needs aligning.
  const header = ['ID', 'TITLE', 'ACCOUNT', 'CHANNEL', 'EVENTS', 'METHOD', 'ENABLED', 'ENDPOINT']
  const cells = rows.map((r) => [r.id, r.title, r.account, r.channel, r.events.join(','), r.method, r.enabled ? 'yes' : 'no', r.endpoint])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]))).join('  ')
  return [line(header), ...cells.map(line)].join('\n')
}

export function register(program: Command): void {
  const profiles = program.command('profiles')
  registerStoreCommands(profiles)
  profiles
    .description('list the callback profiles: id, title, account, channel, events, method, endpoint, enabled')
    .option('--search <words>', 'only profiles whose title holds every one of these words (case-insensitive)')
    .option('--json', 'print [{ id, title, account, channel, events, method, endpoint, enabled }]')
    .action(async (opts: { search?: string; json?: boolean }, cmd: Command) => {
      // A listing shows what loaded; problems in other files go to stderr.
      const config = await loadCliConfig(cmd, { tolerateErrors: true })
      // Unless the settings themselves failed (then there is nothing trustworthy to list).
      const settingsBroken = config.diagnostics.some((d) => d.level === 'error' && d.file === config.settingsFile && !d.pointer.startsWith('/plugins/'))
      if (settingsBroken) fail(`profiles: cannot list profiles: ${config.settingsFile} has errors (above)`)
      const rows = listProfiles(config, opts.search)
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
}
