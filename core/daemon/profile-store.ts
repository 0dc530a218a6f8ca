// The profiles the daemon delivers with, compiled, indexed for routing, and swapped
// whole on reload. A delivery holds the CompiledProfile it started with, so a reload in
// the middle of it changes nothing for it.
import type { LoadedProfile } from '../config/settings'
import type { PluginRegistry } from '../plugin/registry'
import { compileProfile, type CompiledProfile } from '../render/compile'
import type { RoutingIndex } from './route'

export interface ProfileSnapshot extends RoutingIndex<CompiledProfile> {
  readonly size: number
  readonly all: readonly CompiledProfile[]
  /** The largest attempt timeout of the set, at least `floorMs`. */
  longestTimeoutMs(floorMs: number): number
}

export interface CompileFailure {
  file: string
  id: string
  message: string
}

/** Compiles every profile; a profile that does not compile is a failure of the whole set. */
export function buildSnapshot(loaded: readonly LoadedProfile[], registry: PluginRegistry, defaultTimeoutMs: number): { snapshot: ProfileSnapshot; failures: CompileFailure[] } {
  const failures: CompileFailure[] = []
  const byId = new Map<string, CompiledProfile>()
  const byKey = new Map<string, CompiledProfile[]>()
  const all: CompiledProfile[] = []
  for (const lp of loaded) {
    let compiled: CompiledProfile
    try {
      compiled = compileProfile(lp.profile, registry, { defaultTimeoutMs })
    } catch (e) {
      const where = (e as { where?: string }).where ?? ''
      failures.push({ file: lp.file, id: lp.profile.id, message: `${lp.file}:${where.startsWith('/') ? where : ''}: ${(e as Error).message}` })
      continue
    }
    all.push(compiled)
    byId.set(lp.profile.id, compiled)
    if (lp.profile.enabled === false) continue
    const key = `${lp.profile.account}\u0000${lp.profile.channel}`
    const list = byKey.get(key)
    if (list) list.push(compiled)
    else byKey.set(key, [compiled])
  }
  const empty: CompiledProfile[] = []
  const snapshot: ProfileSnapshot = {
    size: all.length,
    all,
    byId: (id) => byId.get(id),
    subscribers(account, channel, event) {
      const list = byKey.get(`${account}\u0000${channel}`)
      if (!list) return empty
      // The common case, one profile subscribing to everything, allocates nothing.
      if (list.length === 1) {
        const ev = list[0].profile.events as string[] | undefined
        return !ev || ev.includes(event) ? list : empty
      }
      return list.filter((c) => !c.profile.events || (c.profile.events as string[]).includes(event))
    },
    longestTimeoutMs(floorMs) {
      let max = floorMs
      for (const c of all) if (c.timeoutMs > max) max = c.timeoutMs
      return max
    },
  }
  return { snapshot, failures }
}

/** Holds the current snapshot; `swap` replaces it atomically. */
export class ProfileStore {
  private current: ProfileSnapshot
  constructor(initial: ProfileSnapshot) {
    this.current = initial
  }
  get snapshot(): ProfileSnapshot {
    return this.current
  }
  swap(next: ProfileSnapshot): void {
    this.current = next
  }
}
