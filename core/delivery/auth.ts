// The Authorization header of a profile's requests (DESIGN "Profiles": auth).
//   basic   precomputed `Basic base64(username:password)`.
//   oauth2  client credentials (the reference platform's "advanced authentication"): a
//           form-encoded POST to tokenUrl, client_id/client_secret in the body or as HTTP
//           Basic (clientAuth), optional scope; the token read at tokenPath (dotted,
//           default access_token), cached until expires_in (a number or a numeric string;
//           absent: until the endpoint answers 401), sent as Bearer.
// The token request goes through the delivery dispatcher (same network policy) under the
// attempt's own AbortSignal (same time budget). Concurrent attempts share one token fetch.
// The cache is keyed by the whole auth config (hashed), so profiles with the same client
// share a token and a reload that keeps the config keeps the token.
import { createHash } from 'node:crypto'
import type { Dispatcher } from 'undici'
import type { BasicAuth, Oauth2Auth, Profile } from '../generated/profile'
import { reasonOf, USER_AGENT } from './http-attempt'

export interface Authorizer {
  /** The headers to add (`authorization`), fetching a token if needed within `signal`. */
  authorize(signal: AbortSignal): Promise<Record<string, string>>
  /**
   * Forgets the cached token after the endpoint answered 401. With the header value that
   * was refused, a token another attempt already refreshed is kept.
   */
  invalidate(refused?: string): void
}

/** A failed token fetch: the attempt fails with `reason` ('token status 500', 'token timeout', …). */
export class AuthError extends Error {
  constructor(
    readonly reason: string,
    /** The network policy refused the token URL: not retried. */
    readonly refused: boolean,
    /** What the policy refused (host, and address when resolved), when it did. */
    readonly target?: string,
  ) {
    super(reason)
    this.name = 'AuthError'
  }
}

interface CachedToken {
  header: string
  /** performance.now() ms; Infinity when the server gave no expires_in. */
  expiresAt: number
}

interface CacheEntry {
  token?: CachedToken
  pending?: Promise<CachedToken>
}

export type TokenCache = Map<string, CacheEntry>

const sharedCache: TokenCache = new Map()

export interface AuthDeps {
  dispatcher: Dispatcher
  /** Default: one cache per process. */
  cache?: TokenCache
  /** Largest token response read; default 64 KiB. */
  maxTokenResponseBytes?: number
  /** Clock in ms; default performance.now. */
  now?: () => number
}

export function createAuthorizer(auth: Profile['auth'], deps: AuthDeps): Authorizer | undefined {
  if (auth === undefined) return undefined
  if (auth.type === 'basic') return basicAuthorizer(auth)
  return oauth2Authorizer(auth, deps)
}

function basicAuthorizer(auth: BasicAuth): Authorizer {
  const headers = { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}` }
  return {
    authorize: () => Promise.resolve(headers),
    invalidate: () => {},
  }
}

/** Reads a dotted path (`data.token`) in a JSON value. */
function at(value: unknown, path: string): unknown {
  let v = value
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[key]
  }
  return v
}

/** Seconds from a number or a numeric string ("3599"); undefined otherwise. */
export function parseExpiresIn(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN
  return Number.isFinite(n) && n >= 0 ? n : undefined
}

/** RFC 6749 2.3.1: id and secret are form-encoded before the Basic base64. */
function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+')
}

function cacheKey(auth: Oauth2Auth): string {
  const parts = [auth.tokenUrl, auth.clientId, auth.clientSecret, auth.clientAuth ?? 'body', auth.scope ?? '', auth.tokenPath ?? 'access_token', JSON.stringify(auth.headers ?? {})]
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex')
}

/** The token request of one oauth2 config, built once: it never changes between fetches. */
interface TokenRequest {
  url: URL
  headers: Record<string, string>
  body: string
  tokenPath: string
  cap: number
  now: () => number
}

function tokenRequest(auth: Oauth2Auth, deps: AuthDeps): TokenRequest {
  const form = new URLSearchParams({ grant_type: 'client_credentials' })
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(auth.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
    'user-agent': USER_AGENT,
  }
  if (auth.clientAuth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${formEncode(auth.clientId)}:${formEncode(auth.clientSecret)}`).toString('base64')}`
  } else {
    form.set('client_id', auth.clientId)
    form.set('client_secret', auth.clientSecret)
  }
  if (auth.scope !== undefined) form.set('scope', auth.scope)
  return {
    url: new URL(auth.tokenUrl),
    headers,
    body: form.toString(),
    tokenPath: auth.tokenPath ?? 'access_token',
    cap: deps.maxTokenResponseBytes ?? 64 * 1024,
    now: deps.now ?? (() => performance.now()),
  }
}

/** Reads the token response up to the cap, as text. */
async function readCapped(res: Dispatcher.ResponseData, cap: number, signal: AbortSignal): Promise<string> {
  try {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > cap) {
        res.body.destroy()
        throw new AuthError('token response too large', false)
      }
      chunks.push(chunk)
    }
    return Buffer.concat(chunks).toString('utf8')
  } catch (err) {
    if (err instanceof AuthError) throw err
    throw new AuthError(`token ${reasonOf(err, signal).error}`, false)
  }
}

async function fetchToken(req: TokenRequest, dispatcher: Dispatcher, signal: AbortSignal): Promise<CachedToken> {
  let res: Dispatcher.ResponseData
  try {
    res = await dispatcher.request({ origin: req.url.origin, path: `${req.url.pathname}${req.url.search}`, method: 'POST', headers: req.headers, body: req.body, signal })
  } catch (err) {
    const r = reasonOf(err, signal)
    throw new AuthError(`token ${r.error}`, r.refused, r.target)
  }
  const text = await readCapped(res, req.cap, signal)
  if (res.statusCode < 200 || res.statusCode > 299) throw new AuthError(`token status ${res.statusCode}`, false)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new AuthError('token response is not JSON', false)
  }
  const token = at(json, req.tokenPath)
  if (typeof token !== 'string' || token === '') throw new AuthError(`no token at ${req.tokenPath} in the token response`, false)
  const expiresIn = parseExpiresIn(at(json, 'expires_in'))
  // Renew a little early (10 %, at most 30 s) so a token does not expire in flight.
  const lifetimeMs = expiresIn === undefined ? Infinity : expiresIn * 1000 - Math.min(30_000, expiresIn * 100)
  return { header: `Bearer ${token}`, expiresAt: req.now() + lifetimeMs }
}

/** `p`, or a 'token timeout' as soon as the attempt's signal fires (the shared fetch goes on for the others). */
function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new AuthError('token timeout', false))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AuthError('token timeout', false))
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}

/** The entry's token fetch, started by the first attempt that needs it and shared by the rest. */
function pendingToken(entry: CacheEntry, fetch: () => Promise<CachedToken>): Promise<CachedToken> {
  if (entry.pending !== undefined) return entry.pending
  const fetching = fetch()
  entry.pending = fetching
  fetching.then(
    (token) => {
      if (entry.pending === fetching) {
        entry.token = token
        entry.pending = undefined
      }
    },
    () => {
      if (entry.pending === fetching) entry.pending = undefined
    },
  )
  return fetching
}

function oauth2Authorizer(auth: Oauth2Auth, deps: AuthDeps): Authorizer {
  const cache = deps.cache ?? sharedCache
  const key = cacheKey(auth)
  const req = tokenRequest(auth, deps)
  return {
    async authorize(signal: AbortSignal): Promise<Record<string, string>> {
      let entry = cache.get(key)
      if (entry === undefined) {
        entry = {}
        cache.set(key, entry)
      }
      if (entry.token !== undefined && entry.token.expiresAt > req.now()) return { authorization: entry.token.header }
      const token = await raceSignal(
        pendingToken(entry, () => fetchToken(req, deps.dispatcher, signal)),
        signal,
      )
      return { authorization: token.header }
    },
    invalidate(refused?: string): void {
      const entry = cache.get(key)
      if (entry?.token === undefined) return
      if (refused !== undefined && entry.token.header !== refused) return
      entry.token = undefined
    },
  }
}
