// The web console (DESIGN "Web console"): the reference platform's Callback Profiles
// screens, served by the status server under /console. A JSON API under /console/api
// (a route table: api-*.ts) reads and writes the profiles (files or the KV store) through
// the same checks as `validate`, and pauses and resumes them; the page itself is static,
// bundled from console/ at build time. Every route needs the token; wrong tokens wait their
// turn (throttle.ts).
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { CallbackRouterError } from '../errors'
import { authenticate, clearedCookie, offersCredential, sameOrigin, sameSecret, sessionCookie } from './auth'
import { defaultAssetsDir, serveAsset } from './assets'
import { readBody, readJson, redirect, securityHeaders, sendError, sendJson } from './http'
import { catalogRoutes } from './api-catalog'
import { deadLetterRoutes } from './api-dead-letters'
import { healthRoutes } from './api-health'
import { profileRoutes } from './api-profiles'
import { matchRoute, type ConsoleDeps, type Route } from './routes'
import { signInPage } from './sign-in'
import { createFailureGate, type FailureGate } from './throttle'

export type { ConsoleDeps, DeadLetterApi, AttemptsApi } from './routes'
export { defaultAssetsDir } from './assets'

export const CONSOLE_PREFIX = '/console'

/** Every API route, in one table: a new screen adds its routes here. */
export const API_ROUTES: readonly Route[] = [...catalogRoutes, ...profileRoutes, ...healthRoutes, ...deadLetterRoutes]

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>

export function createConsoleHandler(deps: ConsoleDeps): ConsoleHandler {
  const assetsDir = deps.assetsDir ?? defaultAssetsDir()
  const env = deps.env ?? process.env
  const gate = createFailureGate()

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://console.invalid')
    let path = url.pathname
    if (path === CONSOLE_PREFIX || path.startsWith(CONSOLE_PREFIX + '/')) path = path.slice(CONSOLE_PREFIX.length)
    if (path === '') return redirect(res, `${CONSOLE_PREFIX}/`)
    const method = req.method ?? 'GET'
    try {
      if (path === '/login') return await signIn(req, res, method, deps.token, gate)
      const auth = await authorize(req, deps.token, gate)
      if (path.startsWith('/api/')) {
        if (!auth) throw new CallbackRouterError('CONSOLE_UNAUTHORIZED')
        if (method !== 'GET' && method !== 'HEAD' && !sameOrigin(req, auth)) throw new CallbackRouterError('CONSOLE_CROSS_ORIGIN')
        const { route, params } = matchRoute(API_ROUTES, method, path.slice('/api'.length))
        const answer = await route.handle({ req, params, query: url.searchParams, body: () => readJson(req), config: deps.getConfig(), deps, env })
        return sendJson(res, answer.status, answer.body)
      }
      if (!auth) {
        if (method === 'GET' && (path === '/' || path === '/index.html')) return redirect(res, `${CONSOLE_PREFIX}/login`)
        throw new CallbackRouterError('CONSOLE_UNAUTHORIZED')
      }
      if (path === '/logout' && method === 'POST') {
        if (!sameOrigin(req, auth)) throw new CallbackRouterError('CONSOLE_CROSS_ORIGIN')
        res.setHeader('set-cookie', clearedCookie())
        return redirect(res, `${CONSOLE_PREFIX}/login`)
      }
      if (method !== 'GET' && method !== 'HEAD') throw new CallbackRouterError('CONSOLE_METHOD_NOT_ALLOWED', [method])
      await serveAsset(res, assetsDir, path === '/' ? '/index.html' : path)
    } catch (e) {
      if (!(e instanceof CallbackRouterError) || e.status === undefined || e.status >= 500) deps.log?.warn({ err: (e as Error).message, path }, 'console request failed')
      sendError(res, e)
    }
  }
}

/**
 * How the request proves it holds the token, or undefined. A wrong credential is
 * answered only after its penalty; an address with too many waiting is refused (429)
 * before its credential is even compared.
 */
async function authorize(req: IncomingMessage, token: string, gate: FailureGate): Promise<ReturnType<typeof authenticate>> {
  if (!offersCredential(req)) return undefined
  const address = req.socket.remoteAddress
  if (gate.saturated(address)) throw new CallbackRouterError('CONSOLE_TOO_MANY_FAILURES')
  const auth = authenticate(req, token)
  if (!auth) await gate.penalty(address)
  return auth
}

async function signIn(req: IncomingMessage, res: ServerResponse, method: string, token: string, gate: FailureGate): Promise<void> {
  const secure = (req.headers['x-forwarded-proto'] ?? '') === 'https'
  if (method === 'GET' || method === 'HEAD') return sendSignIn(res, 200)
  if (method !== 'POST') throw new CallbackRouterError('CONSOLE_METHOD_NOT_ALLOWED', [method])
  // Login CSRF: only the console's own page may sign a browser in.
  if (!sameOrigin(req, 'none')) throw new CallbackRouterError('CONSOLE_CROSS_ORIGIN')
  const address = req.socket.remoteAddress
  if (gate.saturated(address)) return sendSignIn(res, 429, 'Too many wrong tokens from this address: wait a moment, then try again.')
  const form = new URLSearchParams((await readBody(req)).toString('utf8'))
  if (!sameSecret(form.get('token') ?? '', token)) {
    await gate.penalty(address)
    return sendSignIn(res, 401, 'That token is not the console token.')
  }
  res.setHeader('set-cookie', sessionCookie(token, secure))
  redirect(res, `${CONSOLE_PREFIX}/`)
}

function sendSignIn(res: ServerResponse, status: number, error?: string): void {
  const nonce = randomBytes(16).toString('base64')
  res.statusCode = status
  securityHeaders(res, nonce)
  if (status === 429) res.setHeader('retry-after', '1')
  res.setHeader('content-type', 'text/html; charset=utf-8')
  res.end(signInPage(nonce, error))
}
