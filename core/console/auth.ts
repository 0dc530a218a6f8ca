// Who may use the console: the operator holding CALLBACK_ROUTER_CONSOLE_TOKEN, as a
// Bearer header (scripts) or as the cookie the sign-in page sets (browsers). State
// changes from a browser must also come from the console's own origin (CSRF).
import { createHmac, timingSafeEqual, createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { CallbackRouterError } from '../errors'

export const TOKEN_ENV = 'CALLBACK_ROUTER_CONSOLE_TOKEN'
export const COOKIE_NAME = 'callback_router_console'
/** 24 characters of `openssl rand -hex 32` are 96 bits: beyond guessing even at full speed. */
export const MIN_TOKEN_LENGTH = 24
/** A browser session lasts a working day; then the operator signs in again. */
export const SESSION_SECONDS = 8 * 60 * 60

/** The token from the environment; refuses to start without one, or with a short one. */
export function consoleToken(env: NodeJS.ProcessEnv = process.env): string {
  const token = env[TOKEN_ENV]
  if (!token || token.trim() === '') throw new CallbackRouterError('CONSOLE_TOKEN_MISSING', [TOKEN_ENV])
  if (token.length < MIN_TOKEN_LENGTH) throw new CallbackRouterError('CONSOLE_TOKEN_SHORT', [TOKEN_ENV, token.length, MIN_TOKEN_LENGTH])
  return token
}

/** Equal-length digests, so that neither the length nor the content leaks through timing. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/**
 * The cookie holds its expiry and an HMAC of it keyed by the token, not the token: a
 * copy of the browser's cookie jar does not reveal the Bearer token for scripts, and
 * stops working when the session ends (Max-Age tells the browser; the server checks).
 */
export function sessionValue(token: string, expiresAt: number): string {
  return `${expiresAt}.${createHmac('sha256', token).update(`callback-router console session v2 ${expiresAt}`).digest('base64url')}`
}

/** True when `value` is a session this token signed that has not expired at `now` (seconds). */
export function validSession(value: string, token: string, now = Math.floor(Date.now() / 1000)): boolean {
  const m = /^(\d{1,12})\.[A-Za-z0-9_-]+$/.exec(value)
  if (!m) return false
  const expiresAt = Number(m[1])
  return sameSecret(value, sessionValue(token, expiresAt)) && expiresAt > now
}

export function sessionCookie(token: string, secure: boolean, now = Math.floor(Date.now() / 1000)): string {
  const value = sessionValue(token, now + SESSION_SECONDS)
  return `${COOKIE_NAME}=${value}; Path=/console; Max-Age=${SESSION_SECONDS}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`
}

export function clearedCookie(): string {
  return `${COOKIE_NAME}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0`
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

export type AuthMethod = 'bearer' | 'cookie'

/** How the request proves it holds the token, or undefined. */
export function authenticate(req: IncomingMessage, token: string): AuthMethod | undefined {
  const auth = req.headers.authorization
  if (auth !== undefined) {
    const m = /^Bearer\s+(.+)$/i.exec(auth)
    // A wrong Authorization header fails even with a good cookie: the caller meant the header.
    return m && sameSecret(m[1].trim(), token) ? 'bearer' : undefined
  }
  const cookie = readCookie(req, COOKIE_NAME)
  if (cookie !== undefined && validSession(cookie, token)) return 'cookie'
  return undefined
}

/** The request offers a credential (right or wrong): a guess, when it fails. */
export function offersCredential(req: IncomingMessage): boolean {
  return req.headers.authorization !== undefined || !!readCookie(req, COOKIE_NAME)
}

/**
 * A state-changing request is same-origin when its Origin (or, lacking that, its
 * Referer) names the host it was sent to. A cookie-authenticated request without
 * either is refused: browsers send Origin on every POST, PUT, PATCH and DELETE.
 * A Bearer request comes from a script that had to be given the token, and a
 * cross-site page cannot set that header without a CORS preflight we never grant.
 */
export function sameOrigin(req: IncomingMessage, method: AuthMethod | 'none'): boolean {
  const host = req.headers.host
  const origin = req.headers.origin ?? refererOrigin(req.headers.referer)
  if (origin === undefined || origin === 'null') return method === 'bearer'
  if (!host) return false
  try {
    const u = new URL(origin)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host === host
  } catch {
    return false
  }
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined
  try {
    return new URL(referer).origin
  } catch {
    return undefined
  }
}
