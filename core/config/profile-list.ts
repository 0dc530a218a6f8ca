// The profile listing that `profiles` prints and the console's list shows: one row per
// loaded profile, searched by title. Here, below both, so the console needs no CLI code.
import type { LoadedConfig } from './settings'
import type { ProfileRow } from '../json-shapes'
import { secrets } from '../redact'

/** True when every whitespace-separated word occurs in `title`, ignoring case. */
export function titleMatches(title: string, search: string | undefined): boolean {
  const words = (search ?? '').toLowerCase().split(/\s+/).filter(Boolean)
  const t = title.toLowerCase()
  return words.every((w) => t.includes(w))
}

/** A profile's endpoint health as the listing shows it (core/delivery/breaker.ts's state, by shape). */
export interface ListedState {
  state: ProfileRow['state']
  reason: string | null
}

/**
 * The rows, with each profile's health state from `states` (null: NATS could not be asked,
 * the rows say `unknown`; a profile without a state is closed).
 */
export function listProfiles(config: Pick<LoadedConfig, 'profiles' | 'registry'>, search?: string, states: Map<string, ListedState> | null = new Map()): ProfileRow[] {
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
        state: states ? (states.get(p.id)?.state ?? 'closed') : 'unknown',
        stateReason: states ? (states.get(p.id)?.reason ?? null) : 'NATS unreachable',
      })
    })
    .filter((r) => titleMatches(r.title, search))
    .sort((a, b) => a.id.localeCompare(b.id))
}
