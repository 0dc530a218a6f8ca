// The Callback Profiles routes: the list (with each profile's health state and the load
// problems of other files), one profile as written, create, edit, enable/disable, delete,
// and the Test button. Reads and writes go to the store the daemons read (the files of
// profilesDir, or the KV bucket with `profileStore: "kv"`), through the checks of
// `validate`; a write is in effect on this daemon when it is answered.
import { join } from 'node:path'
import { checkProfile } from '../config/profile-check'
import { listProfiles } from '../config/profile-list'
import { CallbackRouterError } from '../errors'
import { healthStates } from './api-health'
import { filesStore } from './profile-files'
import { kvStore } from './profile-kv'
import { findProfile, invalid, publicDiagnostic, publicFile, type ConsoleProfileStore, type StoreResult } from './profile-store'
import { json, need, route, type Answer, type RouteContext, type Route } from './routes'

/** The store the daemons read: the console writes where they look. */
function storeOf(ctx: RouteContext): ConsoleProfileStore {
  if (ctx.config.settings.profileStore !== 'kv') return filesStore(ctx.config, ctx.env)
  return kvStore(ctx.config, ctx.env, need(ctx.deps.profileBucket, 'the KV profile store and its revisions'))
}

/**
 * The daemon refuses a profile set with any error anywhere (another file broken by
 * hand) and keeps its last good set: the file is saved, but the operator must know.
 */
export function reloadOutcome(r: unknown): { ok: boolean; errors: string[] } {
  if (r && typeof r === 'object' && 'ok' in r && (r as { ok: unknown }).ok === false) {
    const errors = (r as { errors?: unknown }).errors
    return { ok: false, errors: Array.isArray(errors) ? errors.map(String) : [] }
  }
  return { ok: true, errors: [] }
}

/** After a write: with the KV store, wait until this daemon applied it (every daemon watches the bucket); then its reload's outcome. */
async function settle(ctx: RouteContext, revision: number | undefined): Promise<{ ok: boolean; errors: string[] }> {
  if (revision !== undefined) await ctx.deps.profilesApplied?.(revision)
  return reloadOutcome(await ctx.deps.reload())
}

async function afterSave(ctx: RouteContext, result: StoreResult, okStatus: number): Promise<Answer> {
  if (!result.ok) throw invalid(result.diagnostics)
  ctx.deps.log?.info({ profile: result.id, file: result.file, revision: result.revision }, 'console saved a profile')
  const reload = await settle(ctx, result.revision)
  return json(okStatus, { id: result.id, file: publicFile(result.file!), revision: result.revision, diagnostics: result.diagnostics.map(publicDiagnostic), reload })
}

/** The revision an edit started from, as the body or query carries it (the KV store needs it on a save). */
function revisionOf(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n <= 0) throw new CallbackRouterError('CONSOLE_BAD_REQUEST', ['revision must be a positive integer'])
  return n
}

function notFound(id: string): never {
  throw new CallbackRouterError('CONSOLE_PROFILE_NOT_FOUND', [id])
}

export const profileRoutes: Route[] = [
  route('GET', '/profiles', async (ctx) => {
    const { config, query } = ctx
    // The list is the daemon's own set: it shows without revisions when NATS cannot be asked.
    const revisions = config.settings.profileStore === 'kv' && ctx.deps.profileBucket ? await storeOf(ctx).revisions().catch(() => undefined) : undefined
    const rows = listProfiles(config, query.get('search') ?? undefined, healthStates(ctx.deps, config)).map((r) => ({ ...r, file: publicFile(findProfile(config, r.id)!.file), revision: revisions?.get(r.id) }))
    return json(200, { profiles: rows, profilesDir: config.profilesDir, profileStore: config.settings.profileStore, diagnostics: config.diagnostics.map(publicDiagnostic) })
  }),
  route('POST', '/profiles', async (ctx) => {
    const { raw } = await ctx.body()
    return afterSave(ctx, await storeOf(ctx).save(raw), 201)
  }),
  route('GET', '/profiles/:id', async (ctx) => {
    const found = (await storeOf(ctx).read(ctx.params.id)) ?? notFound(ctx.params.id)
    // Raw, as written: `${env:…}` secrets are never expanded for the browser.
    return json(200, { id: ctx.params.id, file: publicFile(found.file), raw: found.raw, revision: found.revision })
  }),
  route('PUT', '/profiles/:id', async (ctx) => {
    const store = storeOf(ctx)
    if (!(await store.has(ctx.params.id))) notFound(ctx.params.id)
    const { raw, revision } = await ctx.body()
    return afterSave(ctx, await store.save(raw, ctx.params.id, revisionOf(revision)), 200)
  }),
  route('DELETE', '/profiles/:id', async (ctx) => {
    const id = ctx.params.id
    const removed = (await storeOf(ctx).remove(id, revisionOf(ctx.query.get('revision')))) ?? notFound(id)
    ctx.deps.log?.info({ profile: id, file: removed.file }, 'console deleted a profile')
    const reload = await settle(ctx, removed.revision)
    return json(200, { deleted: id, file: publicFile(removed.file), reload })
  }),
  route('POST', '/profiles/:id/enabled', async (ctx) => {
    const { enabled, revision } = await ctx.body()
    if (typeof enabled !== 'boolean') throw new CallbackRouterError('CONSOLE_BAD_REQUEST', ['enabled must be true or false'])
    const result = (await storeOf(ctx).setEnabled(ctx.params.id, enabled, revisionOf(revision))) ?? notFound(ctx.params.id)
    return afterSave(ctx, result, 200)
  }),
  route('POST', '/test', async (ctx) => {
    const { raw } = await ctx.body()
    // The form may not have an id yet; the sample event names one anyway.
    const candidate = raw && typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as Record<string, unknown>), id: (raw as { id?: unknown }).id || 'console-test' } : raw
    const check = checkProfile(candidate, join(ctx.config.profilesDir, 'console-test.json'), ctx.config.registry, { env: ctx.env })
    if (!check.profile) throw invalid(check.diagnostics)
    return json(200, await ctx.deps.testCallback(check.profile))
  }),
]
