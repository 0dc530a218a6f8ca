// The Callback Profiles routes: the list (with load problems of other files), one profile
// as written, create, edit, enable/disable, delete, and the Test button. Every write goes
// through the checks of `validate` and reloads the daemon.
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Diagnostic } from '../diagnostics'
import type { PublicDiagnostic } from '../json-shapes'
import { checkProfile } from '../config/profile-check'
import { listProfiles } from '../config/profile-list'
import { CallbackRouterError } from '../errors'
import { deleteProfile, findProfile, saveProfile, setEnabled, type StoreResult } from './profile-files'
import { json, route, type Answer, type RouteContext, type Route } from './routes'

/** Diagnostics for the browser: the file's name only, not the server's paths. */
export function publicDiagnostic(d: Diagnostic): PublicDiagnostic {
  return { level: d.level, code: d.code, file: basename(d.file), pointer: d.pointer, message: d.message }
}

function invalid(diagnostics: readonly Diagnostic[]): CallbackRouterError {
  return new CallbackRouterError('CONSOLE_PROFILE_INVALID', [], undefined, { diagnostics: diagnostics.map(publicDiagnostic) })
}

/**
 * With the KV store the daemons read profiles from NATS, not from profilesDir: a file the
 * console wrote would be read by no daemon, so reading and writing one profile is refused
 * (the list still shows what the daemons run).
 */
function filesStore(ctx: RouteContext): void {
  if (ctx.config.settings.profileStore === 'kv') throw new CallbackRouterError('CONSOLE_KV_STORE', [])
}

function existing(ctx: RouteContext): NonNullable<ReturnType<typeof findProfile>> {
  filesStore(ctx)
  const p = findProfile(ctx.config, ctx.params.id)
  if (!p) throw new CallbackRouterError('CONSOLE_PROFILE_NOT_FOUND', [ctx.params.id])
  return p
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

async function afterSave(ctx: RouteContext, result: StoreResult, okStatus: number): Promise<Answer> {
  if (!result.ok) throw invalid(result.diagnostics)
  ctx.deps.log?.info({ profile: result.id, file: result.file }, 'console saved a profile')
  const reload = reloadOutcome(await ctx.deps.reload())
  return json(okStatus, { id: result.id, file: basename(result.file!), diagnostics: result.diagnostics.map(publicDiagnostic), reload })
}

export const profileRoutes: Route[] = [
  route('GET', '/profiles', ({ config, query }) => {
    const rows = listProfiles(config, query.get('search') ?? undefined).map((r) => ({ ...r, file: basename(findProfile(config, r.id)!.file) }))
    return json(200, { profiles: rows, profilesDir: config.profilesDir, diagnostics: config.diagnostics.map(publicDiagnostic) })
  }),
  route('POST', '/profiles', async (ctx) => {
    filesStore(ctx)
    const { raw } = await ctx.body()
    return afterSave(ctx, await saveProfile(ctx.config, raw, ctx.env), 201)
  }),
  route('GET', '/profiles/:id', async (ctx) => {
    const p = existing(ctx)
    // Raw, as written: `${env:…}` secrets are never expanded for the browser.
    return json(200, { id: ctx.params.id, file: basename(p.file), raw: JSON.parse(await readFile(p.file, 'utf8')) })
  }),
  route('PUT', '/profiles/:id', async (ctx) => {
    existing(ctx)
    const { raw } = await ctx.body()
    return afterSave(ctx, await saveProfile(ctx.config, raw, ctx.env, ctx.params.id), 200)
  }),
  route('DELETE', '/profiles/:id', async (ctx) => {
    filesStore(ctx)
    const id = ctx.params.id
    const file = await deleteProfile(ctx.config, id)
    if (!file) throw new CallbackRouterError('CONSOLE_PROFILE_NOT_FOUND', [id])
    ctx.deps.log?.info({ profile: id, file }, 'console deleted a profile')
    const reload = reloadOutcome(await ctx.deps.reload())
    return json(200, { deleted: id, file: basename(file), reload })
  }),
  route('POST', '/profiles/:id/enabled', async (ctx) => {
    filesStore(ctx)
    const { enabled } = await ctx.body()
    if (typeof enabled !== 'boolean') throw new CallbackRouterError('CONSOLE_BAD_REQUEST', ['enabled must be true or false'])
    const result = await setEnabled(ctx.config, ctx.params.id, enabled, ctx.env)
    if (!result) throw new CallbackRouterError('CONSOLE_PROFILE_NOT_FOUND', [ctx.params.id])
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
