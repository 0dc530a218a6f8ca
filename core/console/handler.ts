// The web console (DESIGN "Web console"): the reference platform's Callback Profiles
// screens, served by the status server under /console. A JSON API under
// /console/api reads and writes the profile files through the same checks as
// `validate`; the page itself is static, bundled from console/ at build time.
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import { existsSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { LoadedConfig } from '../config/settings'
import type { Diagnostic } from '../diagnostics'
import type { Profile } from '../generated/profile'
import type { PluginRegistry } from '../plugin/registry'
import { ENVELOPE_VARIABLES } from '../plugin/catalog'
import { checkProfile } from '../config/profile-check'
import { buildSnippet, SNIPPET_FORMATS, type SnippetFormat } from '../plugin/snippet'
import { listProfiles } from '../cli/profiles'
import { authenticate, clearedCookie, sameOrigin, sameSecret, sessionCookie } from './auth'
import { deleteProfile, findProfile, saveProfile, setEnabled } from './profile-files'
import type { TestOutcome } from './test-callback'
import { signInPage } from './sign-in'
import type { DeadLetterEntry } from '../jetstream/dead-letters'

export const CONSOLE_PREFIX = '/console'
const MAX_BODY_BYTES = 1 << 20
const FAILED_SIGN_IN_DELAY_MS = 300

/** A dead letter as `dead-letters list --json` prints it. */
export type DeadLetterRow = DeadLetterEntry

/** What the dead-letter and attempt views need; absent when the daemon has no NATS. */
export interface DeadLetterApi {
  list(filter: { reason?: string; profile?: string }): Promise<DeadLetterRow[]>
  /** The row plus the original event and every attempt; undefined when unknown. */
  show(id: string): Promise<unknown | undefined>
  /** Re-queues it; resolves with whatever the daemon reports. */
  replay(id: string): Promise<unknown>
}

export type AttemptsApi = (eventId: string) => Promise<unknown[]>

export interface ConsoleDeps {
  /** The daemon's current configuration (after the latest reload). */
  getConfig(): LoadedConfig
  /** Reloads the profiles now, so a save takes effect at once. */
  reload(): Promise<unknown>
  /** Sends the Test button's one real callback. */
  testCallback(profile: Profile): Promise<TestOutcome>
  deadLetters?: DeadLetterApi
  attempts?: AttemptsApi
  /** CALLBACK_ROUTER_CONSOLE_TOKEN (see consoleToken()). */
  token: string
  /** For `${env:…}` expansion while checking; default process.env. */
  env?: NodeJS.ProcessEnv
  /** Built front end (index.html, app.js, style.css); default dist/console. */
  assetsDir?: string
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void }
}

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}

/** dist/console beside the compiled server, or the repository's dist/ when run from source. */
export function defaultAssetsDir(): string {
  const candidates = [join(__dirname, '..', '..', 'console'), join(__dirname, '..', '..', 'dist', 'console')]
  return candidates.find((d) => existsSync(join(d, 'app.js'))) ?? candidates[candidates.length - 1]
}

export function createConsoleHandler(deps: ConsoleDeps): ConsoleHandler {
  const assetsDir = deps.assetsDir ?? defaultAssetsDir()
  const env = deps.env ?? process.env

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://console.invalid')
    let path = url.pathname
    if (path === CONSOLE_PREFIX || path.startsWith(CONSOLE_PREFIX + '/')) path = path.slice(CONSOLE_PREFIX.length)
    if (path === '') {
      redirect(res, `${CONSOLE_PREFIX}/`)
      return
    }
    const method = req.method ?? 'GET'
    try {
      if (path === '/login') return await signIn(req, res, method, deps.token)
      const auth = authenticate(req, deps.token)
      if (path.startsWith('/api/')) {
        if (!auth) throw new HttpError(401, 'sign in first: send the console token as Authorization: Bearer, or use the sign-in page')
        if (method !== 'GET' && method !== 'HEAD' && !sameOrigin(req, auth)) throw new HttpError(403, 'cross-origin request refused')
        await api(req, res, method, path.slice('/api'.length), url.searchParams)
        return
      }
      if (!auth) {
        if (method === 'GET' && (path === '/' || path === '/index.html')) redirect(res, `${CONSOLE_PREFIX}/login`)
        else throw new HttpError(401, 'sign in first')
        return
      }
      if (path === '/logout' && method === 'POST') {
        if (!sameOrigin(req, auth)) throw new HttpError(403, 'cross-origin request refused')
        res.setHeader('set-cookie', clearedCookie())
        redirect(res, `${CONSOLE_PREFIX}/login`)
        return
      }
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'method not allowed')
      await serveAsset(res, path === '/' ? '/index.html' : path)
    } catch (e) {
      if (e instanceof HttpError) sendJson(res, e.status, { error: e.message, ...e.extra })
      else {
        deps.log?.warn({ err: (e as Error).message, path }, 'console request failed')
        sendJson(res, 500, { error: (e as Error).message })
      }
    }
  }

  async function serveAsset(res: ServerResponse, path: string): Promise<void> {
    const name = path.slice(1)
    // Only the flat file names the build writes: no traversal, no directories.
    if (!/^[a-z0-9-]+\.(html|js|css|js\.map)$/.test(name)) throw new HttpError(404, 'not found')
    let body: Buffer
    try {
      body = await readFile(join(assetsDir, name))
    } catch {
      throw new HttpError(404, name === 'index.html' ? `the console is not built (${assetsDir}): run npm run build` : 'not found')
    }
    securityHeaders(res)
    res.setHeader('content-type', CONTENT_TYPES[extname(name)] ?? 'application/octet-stream')
    res.setHeader('cache-control', 'no-cache')
    res.end(body)
  }

  async function api(req: IncomingMessage, res: ServerResponse, method: string, path: string, query: URLSearchParams): Promise<void> {
    const config = deps.getConfig()
    const route = `${method} ${path}`
    let m: RegExpExecArray | null

    if (route === 'GET /meta') return sendJson(res, 200, meta(config, !!deps.deadLetters, !!deps.attempts))
    if (route === 'GET /variables') {
      const channel = query.get('channel') ?? ''
      if (!config.registry.get(channel)) throw new HttpError(404, `unknown channel "${channel}"`)
      const events = splitList(query.get('events'))
      const index = config.registry.variableIndex(channel, events)
      return sendJson(res, 200, { channel, events: events ?? null, variables: [...index.variables, ...ENVELOPE_VARIABLES] })
    }
    if (route === 'POST /snippet') {
      const body = (await readJson(req)) as { channel?: unknown; events?: unknown; select?: unknown; format?: unknown }
      const channel = String(body.channel ?? '')
      if (!config.registry.get(channel)) throw new HttpError(404, `unknown channel "${channel}"`)
      const format = String(body.format ?? 'query') as SnippetFormat
      if (!SNIPPET_FORMATS.includes(format)) throw new HttpError(400, `unknown format "${format}"`)
      const select = Array.isArray(body.select) ? body.select.map(String) : []
      const events = Array.isArray(body.events) && body.events.length ? body.events.map(String) : undefined
      const schema = mergedPayloadSchema(config.registry, channel, events)
      try {
        return sendJson(res, 200, { snippet: buildSnippet(select, format, schema) })
      } catch (e) {
        throw new HttpError(400, (e as Error).message)
      }
    }
    if (route === 'GET /profiles') {
      const rows = listProfiles(config, query.get('search') ?? undefined).map((r) => ({ ...r, file: basename(findProfile(config, r.id)!.file) }))
      return sendJson(res, 200, { profiles: rows, profilesDir: config.profilesDir, diagnostics: config.diagnostics.map(publicDiagnostic) })
    }
    if (route === 'POST /profiles') {
      const { raw } = (await readJson(req)) as { raw?: unknown }
      const result = await saveProfile(config, raw, env)
      return afterSave(res, result, 201)
    }
    if ((m = /^\/profiles\/([^/]+)$/.exec(path))) {
      const id = decodeURIComponent(m[1])
      if (method === 'GET') {
        const p = findProfile(config, id)
        if (!p) throw new HttpError(404, `no profile "${id}"`)
        // Raw, as written: `${env:…}` secrets are never expanded for the browser.
        return sendJson(res, 200, { id, file: basename(p.file), raw: JSON.parse(await readFile(p.file, 'utf8')) })
      }
      if (method === 'PUT') {
        if (!findProfile(config, id)) throw new HttpError(404, `no profile "${id}"`)
        const { raw } = (await readJson(req)) as { raw?: unknown }
        return afterSave(res, await saveProfile(config, raw, env, id), 200)
      }
      if (method === 'DELETE') {
        const file = await deleteProfile(config, id)
        if (!file) throw new HttpError(404, `no profile "${id}"`)
        deps.log?.info({ profile: id, file }, 'console deleted a profile')
        const reload = reloadOutcome(await deps.reload())
        return sendJson(res, 200, { deleted: id, file: basename(file), reload })
      }
    }
    if ((m = /^\/profiles\/([^/]+)\/enabled$/.exec(path)) && method === 'POST') {
      const { enabled } = (await readJson(req)) as { enabled?: unknown }
      if (typeof enabled !== 'boolean') throw new HttpError(400, 'enabled must be true or false')
      const result = await setEnabled(config, decodeURIComponent(m[1]), enabled, env)
      if (!result) throw new HttpError(404, `no profile "${decodeURIComponent(m[1])}"`)
      return afterSave(res, result, 200)
    }
    if (route === 'POST /test') {
      const { raw } = (await readJson(req)) as { raw?: unknown }
      // The form may not have an id yet; the sample event names one anyway.
      const candidate = raw && typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as Record<string, unknown>), id: (raw as { id?: unknown }).id || 'console-test' } : raw
      const check = checkProfile(candidate, join(config.profilesDir, 'console-test.json'), config.registry, { env })
      if (!check.profile) throw new HttpError(422, 'the profile has errors', { diagnostics: check.diagnostics.map(publicDiagnostic) })
      const outcome = await deps.testCallback(check.profile)
      return sendJson(res, 200, outcome)
    }
    if (route === 'GET /dead-letters') {
      const dl = need(deps.deadLetters, 'dead letters')
      const reason = query.get('reason') || undefined
      const profile = query.get('profile') || undefined
      const q = (query.get('q') || '').toLowerCase()
      const rows = (await dl.list({ reason, profile })).filter(
        (r) =>
          (!reason || r.reason === reason) &&
          (!profile || r.profile === profile) &&
          (!q || [r.id, r.eventId, r.profile, r.reason, r.detail].some((v) => typeof v === 'string' && v.toLowerCase().includes(q))),
      )
      return sendJson(res, 200, { deadLetters: rows })
    }
    if ((m = /^\/dead-letters\/([^/]+)$/.exec(path)) && method === 'GET') {
      const shown = await need(deps.deadLetters, 'dead letters').show(decodeURIComponent(m[1]))
      if (shown === undefined) throw new HttpError(404, 'no such dead letter')
      return sendJson(res, 200, shown)
    }
    if ((m = /^\/dead-letters\/([^/]+)\/replay$/.exec(path)) && method === 'POST') {
      const id = decodeURIComponent(m[1])
      const result = await need(deps.deadLetters, 'dead letters').replay(id)
      if (result === undefined) throw new HttpError(404, 'no such dead letter')
      deps.log?.info({ deadLetter: id }, 'console replayed a dead letter')
      return sendJson(res, 200, { replayed: id, result: result ?? null })
    }
    if ((m = /^\/attempts\/([^/]+)$/.exec(path)) && method === 'GET') {
      return sendJson(res, 200, { attempts: await need(deps.attempts, 'attempts')(decodeURIComponent(m[1])) })
    }
    throw new HttpError(404, `no API ${route}`)
  }

  async function afterSave(res: ServerResponse, result: Awaited<ReturnType<typeof saveProfile>>, okStatus: number): Promise<void> {
    if (!result.ok) throw new HttpError(422, 'the profile has errors', { diagnostics: result.diagnostics.map(publicDiagnostic) })
    deps.log?.info({ profile: result.id, file: result.file }, 'console saved a profile')
    const reload = reloadOutcome(await deps.reload())
    sendJson(res, okStatus, { id: result.id, file: basename(result.file!), diagnostics: result.diagnostics.map(publicDiagnostic), reload })
  }
}

async function signIn(req: IncomingMessage, res: ServerResponse, method: string, token: string): Promise<void> {
  const secure = (req.headers['x-forwarded-proto'] ?? '') === 'https'
  if (method === 'GET' || method === 'HEAD') return sendSignIn(res, 200)
  if (method !== 'POST') throw new HttpError(405, 'method not allowed')
  // Login CSRF: only the console's own page may sign a browser in.
  if (!sameOrigin(req, 'none')) throw new HttpError(403, 'cross-origin request refused')
  const form = new URLSearchParams((await readBody(req)).toString('utf8'))
  const given = form.get('token') ?? ''
  if (!sameSecret(given, token)) {
    // A pause per wrong guess: guessing a long token was hopeless anyway; now it is slow too.
    await new Promise((r) => setTimeout(r, FAILED_SIGN_IN_DELAY_MS))
    return sendSignIn(res, 401, 'That token is not the console token.')
  }
  res.setHeader('set-cookie', sessionCookie(token, secure))
  redirect(res, `${CONSOLE_PREFIX}/`)
}

function sendSignIn(res: ServerResponse, status: number, error?: string): void {
  const nonce = randomBytes(16).toString('base64')
  res.statusCode = status
  securityHeaders(res, nonce)
  res.setHeader('content-type', 'text/html; charset=utf-8')
  res.end(signInPage(nonce, error))
}

/**
 * The daemon refuses a profile set with any error anywhere (another file broken by
 * hand) and keeps its last good set: the file is saved, but the operator must know.
 */
function reloadOutcome(r: unknown): { ok: boolean; errors: string[] } {
  if (r && typeof r === 'object' && 'ok' in r && (r as { ok: unknown }).ok === false) {
    const errors = (r as { errors?: unknown }).errors
    return { ok: false, errors: Array.isArray(errors) ? errors.map(String) : [] }
  }
  return { ok: true, errors: [] }
}

function need<T>(api: T | undefined, what: string): T {
  if (!api) throw new HttpError(503, `${what} are not available: the daemon has no NATS connection`)
  return api
}

function meta(config: LoadedConfig, deadLetters: boolean, attempts: boolean): unknown {
  const registry = config.registry
  return {
    channels: registry.plugins.map((p) => ({
      name: p.name,
      title: p.title,
      catchAll: !!p.catchAll,
      events: registry.eventsOf(p.name),
      retry: p.retry,
    })),
    formats: registry.formatNames(),
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    algorithms: ['aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm', 'aes-128-cfb', 'aes-192-cfb', 'aes-256-cfb'],
    defaultTimeoutMs: config.settings.delivery.defaultTimeoutMs,
    deadLetters,
    attempts,
  }
}

/** The payload schemas a profile of channel/events sees, merged for literal-key lookups. */
function mergedPayloadSchema(registry: PluginRegistry, channel: string, events?: string[]): Record<string, unknown> {
  const plugin = registry.get(channel)
  const schemas: Record<string, unknown>[] = []
  if (plugin?.catchAll) {
    if (plugin.events['*']) schemas.push(plugin.events['*'].payloadSchema)
    for (const p of registry.plugins) {
      for (const [name, spec] of Object.entries(p.events)) if (name !== '*' && (!events || events.includes(name))) schemas.push(spec.payloadSchema)
    }
  } else {
    for (const e of events ?? registry.eventsOf(channel)) {
      const spec = registry.eventSpec(channel, e)
      if (spec) schemas.push(spec.payloadSchema)
    }
  }
  const properties: Record<string, unknown> = {}
  for (const s of schemas) {
    for (const [k, v] of Object.entries((s.properties as Record<string, unknown>) ?? {})) if (!(k in properties)) properties[k] = v
  }
  return { type: 'object', properties }
}

/** Diagnostics for the browser: the file's name only, not the server's paths. */
function publicDiagnostic(d: Diagnostic): Omit<Diagnostic, 'file'> & { file: string } {
  return { level: d.level, code: d.code, file: basename(d.file), pointer: d.pointer, message: d.message }
}

function splitList(v: string | null): string[] | undefined {
  const list = (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return list.length ? list : undefined
}

function securityHeaders(res: ServerResponse, styleNonce?: string): void {
  res.setHeader('x-content-type-options', 'nosniff')
  res.setHeader('x-frame-options', 'DENY')
  res.setHeader('referrer-policy', 'same-origin')
  const style = styleNonce ? `'nonce-${styleNonce}'` : "'self'"
  res.setHeader('content-security-policy', `default-src 'none'; script-src 'self'; style-src ${style}; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`)
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('cache-control', 'no-store')
  res.setHeader('x-content-type-options', 'nosniff')
  res.end(JSON.stringify(body))
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303
  res.setHeader('location', location)
  res.setHeader('cache-control', 'no-store')
  res.end()
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const ct = req.headers['content-type'] ?? ''
  // A cross-site form cannot send application/json without a preflight: one more CSRF wall.
  if (!/^application\/json\b/i.test(ct)) throw new HttpError(415, 'send application/json')
  try {
    const v = JSON.parse((await readBody(req)).toString('utf8')) as unknown
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected a JSON object')
    return v as Record<string, unknown>
  } catch (e) {
    if (e instanceof HttpError) throw e
    throw new HttpError(400, `invalid JSON: ${(e as Error).message}`)
  }
}
