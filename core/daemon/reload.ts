// Reload: the profiles folder is read again (SIGHUP, a file change, the console); an
// invalid set is refused whole and the last good set stays. Reloads run one at a time.
import { watch, type FSWatcher } from 'node:fs'
import { loadProfiles, type LoadedConfig, type LoadedProfile } from '../config/settings'
import { formatDiagnostic } from '../diagnostics'
import { ackWaitMs, ensureConsumers } from '../jetstream/streams'
import type { DaemonContext } from './context'
import { buildSnapshot, type ProfileSnapshot } from './profile-store'

export interface ReloadResult {
  ok: boolean
  errors: string[]
}

export interface Reloader {
  reload(): Promise<ReloadResult>
  /** The settings and the profiles in use (the last good set). */
  config(): LoadedConfig
  /** Resolves when no reload is running. */
  settled(): Promise<unknown>
  /** Stops watching profilesDir. */
  close(): void
}

export interface ReloadOptions {
  env: NodeJS.ProcessEnv
  watch: boolean
  /** With the KV store: the set to apply (each value already checked; see kv-profiles.ts) instead of the folder. */
  kv?: { profiles(): LoadedProfile[] }
}

export function createReloader(ctx: DaemonContext, initial: LoadedConfig, options: ReloadOptions): Reloader {
  let loaded = initial
  let chain: Promise<unknown> = Promise.resolve()
  const kv = options.kv
  const once = async (): Promise<ReloadResult> => {
    const next = kv ? { profiles: kv.profiles(), diagnostics: [], notes: [] } : await loadProfiles(loaded.profilesDir, ctx.registry, options.env, loaded.settingsFile, { previous: loaded.profiles })
    const outcome = await apply(ctx, next)
    if (outcome.ok) loaded = { ...loaded, profiles: next.profiles, diagnostics: next.diagnostics }
    return outcome
  }
  const reload = (): Promise<ReloadResult> => {
    const p = chain.then(once, once)
    chain = p.catch(() => undefined)
    return p
  }
  const watcher = options.watch && !kv ? watchFolder(ctx, loaded.profilesDir, reload) : undefined
  return {
    reload,
    config: () => loaded,
    settled: () => chain,
    close: () => watcher?.close(),
  }
}

/** Builds the new set and swaps it in, or refuses it with its errors. */
async function apply(ctx: DaemonContext, next: Awaited<ReturnType<typeof loadProfiles>>): Promise<ReloadResult> {
  const { settings, metrics, logger } = ctx
  const errs = next.diagnostics.filter((d) => d.level === 'error').map((d) => formatDiagnostic(d))
  let snapshot: ProfileSnapshot | undefined
  if (!errs.length) {
    const b = buildSnapshot(next.profiles, ctx.registry, settings.delivery.defaultTimeoutMs)
    errs.push(...b.failures.map((f) => f.message))
    snapshot = b.snapshot
  }
  if (errs.length || !snapshot) {
    metrics.configReloads.inc({ result: 'failure' })
    for (const line of errs) logger.error({ error: line }, 'reload refused: the last good profiles stay')
    return { ok: false, errors: errs }
  }
  const previous = ctx.store.snapshot
  ctx.store.swap(snapshot)
  // A removed profile, or one whose limits or credentials changed, starts afresh.
  for (const old of previous.all) {
    const now = snapshot.byId(old.profile.id)
    if (!now || JSON.stringify([now.profile.rateLimit, now.profile.auth]) !== JSON.stringify([old.profile.rateLimit, old.profile.auth])) ctx.deliverer.forget(old.profile.id)
  }
  const ackWait = ackWaitMs(snapshot.longestTimeoutMs(settings.delivery.defaultTimeoutMs))
  if (ackWait !== ctx.state.ackWaitMs) {
    ctx.state.ackWaitMs = ackWait
    await ensureConsumers(ctx.jsm, settings, { ackWaitMs: ackWait, concurrency: settings.delivery.concurrency }).catch((e: unknown) => logger.error({ err: e }, 'could not update ack_wait'))
  }
  metrics.configReloads.inc({ result: 'success' })
  logger.info({ profiles: snapshot.size }, 'profiles reloaded')
  return { ok: true, errors: [] }
}

/** Reloads 200 ms after the last change in the folder; SIGHUP still works when watching cannot. */
function watchFolder(ctx: DaemonContext, dir: string, reload: () => Promise<ReloadResult>): { close(): void } | undefined {
  let watcher: FSWatcher | undefined
  let debounce: NodeJS.Timeout | undefined
  try {
    watcher = watch(dir, () => {
      if (debounce) clearTimeout(debounce)
      debounce = setTimeout(() => {
        debounce = undefined
        if (!ctx.state.stopping) void reload()
      }, 200)
    })
    watcher.on('error', (e) => ctx.logger.warn({ err: e }, 'watching profilesDir failed; SIGHUP still reloads'))
  } catch (e) {
    ctx.logger.warn({ err: e, dir }, 'cannot watch profilesDir; SIGHUP still reloads')
    return undefined
  }
  return {
    close() {
      watcher?.close()
      if (debounce) clearTimeout(debounce)
    },
  }
}
