// Endpoint health on the console (DESIGN "Endpoint health"): each profile's state in the
// list, and Pause / Resume through the daemon's own health, the one `profiles pause` and
// `profiles resume` change: the state every daemon shares (CALLBACK_PROFILE_STATE), the
// ops events announcing it, and on Resume the held deliveries released at the profile's rate.
import type { ListedState } from '../config/profile-list'
import type { LoadedConfig } from '../config/settings'
import { CallbackRouterError } from '../errors'
import { findProfile } from './profile-store'
import { json, need, route, type ConsoleDeps, type Route } from './routes'

/** Each profile's state for the list; undefined without the daemon's health (the listing's default, closed). */
export function healthStates(deps: ConsoleDeps, config: Pick<LoadedConfig, 'profiles'>): Map<string, ListedState> | undefined {
  const health = deps.health
  if (!health) return undefined
  return new Map(
    config.profiles.map(({ profile }): [string, ListedState] => {
      const s = health.state(profile.id)
      return [profile.id, { state: s.state, reason: s.reason }]
    }),
  )
}

/** `POST /profiles/:id/pause` or `/resume`: answers as `profiles pause|resume --json`. */
function operatorRoute(action: 'pause' | 'resume'): Route {
  return route('POST', `/profiles/:id/${action}`, async (ctx) => {
    const health = need(ctx.deps.health, 'Pause and Resume')
    const id = ctx.params.id
    if (!findProfile(ctx.config, id)) throw new CallbackRouterError('CONSOLE_PROFILE_NOT_FOUND', [id])
    const before = health.state(id).state
    const after = await health[action](id)
    ctx.deps.log?.info({ profile: id, state: after.state, reason: after.reason }, `console: ${action} of a profile`)
    return json(200, { id, state: after.state, stateReason: after.reason, changed: after.state !== before })
  })
}

export const healthRoutes: Route[] = [operatorRoute('pause'), operatorRoute('resume')]
