// The daemon's side of the KV profile store: read the bucket at start, then apply every
// write within moments (DESIGN: within 2 s). Each value is checked like a file and compiled;
// one that fails is refused for that profile alone, which keeps its last good version, and
// the refusal is logged (file:pointer lines, no secret: messages never carry expanded values)
// and counted. The revision applied is what /readyz reports as profilesRevision. A watch
// that ends (the bucket's stream deleted, say) is started again and its snapshot applied
// as the whole set; a restart never creates the bucket (an empty one would drop every
// profile): it waits until someone pushes again.
import type { JetStreamClient } from 'nats'
import { formatDiagnostic, diagnostic } from '../diagnostics'
import { KvProfileSet } from '../config/kv-profiles'
import type { LoadedProfile } from '../config/settings'
import type { PluginRegistry } from '../plugin/registry'
import { compileProfile } from '../render/compile'
import { openProfileBucket, watchBucket } from '../jetstream/profile-bucket'
import type { Logger } from '../logger'

export interface KvProfiles {
  /** The highest bucket revision this daemon has applied (or refused). */
  revision(): number
  /** The last good version of every profile in the bucket. */
  profiles(): LoadedProfile[]
  stop(): void
}

export interface KvProfilesOptions {
  js: JetStreamClient
  replicas: number
  registry: PluginRegistry
  env: NodeJS.ProcessEnv
  defaultTimeoutMs: number
  logger: Logger
  /** A value refused (its diagnostics formatted). */
  onRefused(id: string, lines: string[]): void
  /** The set changed; called at most once per burst of writes. */
  onChange(profiles: LoadedProfile[], revision: number): void
  /** The watch ended and is started again. */
  onRestart(): void
}

/** Writes that arrive together (a push of many files) are applied as one set. */
const COALESCE_MS = 50

export async function startKvProfiles(o: KvProfilesOptions): Promise<KvProfiles> {
  const compiles = (lp: LoadedProfile) => {
    try {
      compileProfile(lp.profile, o.registry, { defaultTimeoutMs: o.defaultTimeoutMs })
      return []
    } catch (e) {
      return [diagnostic('error', 'CONFIG_SCHEMA', lp.file, (e as { where?: string }).where ?? '', [(e as Error).message])]
    }
  }
  const set = new KvProfileSet(o.registry, o.env, compiles)
  const kv = await openProfileBucket(o.js, o.replicas)
  let timer: NodeJS.Timeout | undefined
  let applied = 0
  const apply = (change: Parameters<KvProfileSet['apply']>[0]): void => {
    const r = set.apply(change)
    if (!r.accepted) o.onRefused(change.id, r.diagnostics.filter((d) => d.level === 'error').map((d) => formatDiagnostic(d)))
  }
  const changed = (): void => {
    if (timer) return
    timer = setTimeout(() => {
      timer = undefined
      applied = set.revision
      o.onChange(set.profiles(), applied)
    }, COALESCE_MS)
  }
  let first = true
  const stop = await watchBucket(async () => kv, {
    onInitial(entries, revision) {
      // After a restarted watch the snapshot is the set: a key deleted meanwhile disappears.
      if (!first) set.reseed(new Set(entries.map((e) => e.id)), revision)
      for (const e of entries) apply(e)
      set.seen(revision)
      if (first) applied = set.revision
      else changed()
      first = false
    },
    onChange(entry) {
      apply(entry)
      changed()
    },
    onRestart(e, delayMs) {
      o.onRestart()
      o.logger.warn({ err: e, retryInMs: delayMs }, 'watching CALLBACK_PROFILES ended; watching it again (the profiles in use stay until then)')
    },
  })
  return {
    revision: () => applied,
    profiles: () => set.profiles(),
    stop() {
      if (timer) clearTimeout(timer)
      stop()
    },
  }
}
