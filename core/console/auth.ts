// Who may use the console: the operator holding CALLBACK_ROUTER_CONSOLE_TOKEN, as a
// Bearer header (scripts) or as the cookie the sign-in page sets (browsers). State
// changes from a browser must also come from the console's own origin (CSRF).
import { createHmac, timingSafeEqual, createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const TOKEN_ENV = 'CALLBACK_ROUTER_CONSOLE_TOKEN'
export const COOKIE_NAME = 'callback_router_console'

/** Thrown when the console cannot start: the message says what to do. */
export class ConsoleConfigError extends Error {
  readonly code = 'CONSOLE_TOKEN_MISSING'
}

/** The token from the environment; refuses to start without one. */
export function consoleToken(env: NodeJS.ProcessEnv = process.env): string {
  const token = env[TOKEN_ENV]
  if (!token || token.trim() === '') {
    throw new ConsoleConfigError(`the console is enabled but ${TOKEN_ENV} is not set: set it to a long random secret (e.g. \`openssl rand -hex 32\`), or set console.enabled to false`)
  }
  return token
}

/** Equal-length digests, so that neither the length nor the content leaks through timing. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/**
 * The cookie holds a value derived from the token, not the token itself: a copy
 * of the browser's cookie jar does not reveal the Bearer token for scripts.
 */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('callback-router console session v1').digest('base64url')
}

export function sessionCookie(token: string, secure: boolean): string {
  return `${COOKIE_NAME}=${sessionValue(token)}; Path=/console; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`
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
  if (cookie !== undefined && sameSecret(cookie, sessionValue(token))) return 'cookie'
  return undefined
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
