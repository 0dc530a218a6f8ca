// The console API as a route table: each route is a method, a path pattern with `:name`
// parameters and a handler returning the status and JSON body. Parameters arrive
// percent-decoded; a malformed escape is the caller's mistake (400), never a 500.
// Adding a route (a Pause button, a revision check) is one entry in one of the tables.
import type { IncomingMessage } from 'node:http'
import type { KV } from 'nats'
import type { HealthState } from '../delivery/breaker'
import type { LoadedConfig } from '../config/settings'
import type { Profile } from '../generated/profile'
import type { DeadLetterEntry } from '../json-shapes'
import { CallbackRouterError } from '../errors'
import type { TestOutcome } from './test-callback'

/** What the dead-letter and attempt views need; absent when the daemon has no NATS. */
export interface DeadLetterApi {
  list(filter: { reason?: string; profile?: string }): Promise<DeadLetterEntry[]>
  /** The row plus the original event and every attempt; undefined when unknown. */
  show(id: string): Promise<unknown | undefined>
  /** Re-queues it; resolves with whatever the daemon reports, undefined when unknown. */
  replay(id: string): Promise<unknown>
}

export type AttemptsApi = (eventId: string) => Promise<unknown[]>

/** The daemon's endpoint health (its `health`, as `profiles pause/resume` use it): shared by every daemon. */
export interface HealthActions {
  state(profile: string): HealthState
  pause(profile: string): Promise<HealthState>
  resume(profile: string): Promise<HealthState>
}

export interface ConsoleDeps {
  /** The daemon's current configuration (after the latest reload). */
  getConfig(): LoadedConfig
  /** Reloads the profiles now, so a save takes effect at once. */
  reload(): Promise<unknown>
  /** Sends the Test button's one real callback. */
  testCallback(profile: Profile): Promise<TestOutcome>
  deadLetters?: DeadLetterApi
  attempts?: AttemptsApi
  /** With the KV store: the bucket CALLBACK_PROFILES on the daemon's NATS connection. */
  profileBucket?(): Promise<KV>
  /** With the KV store: resolves once this daemon has applied the bucket up to `revision` (or the 2 s DESIGN allows have passed). */
  profilesApplied?(revision: number): Promise<void>
  health?: HealthActions
  /** CALLBACK_ROUTER_CONSOLE_TOKEN (see consoleToken()). */
  token: string
  /** For `${env:…}` expansion while checking; default process.env. */
  env?: NodeJS.ProcessEnv
  /** Built front end (index.html, app.js, style.css); default dist/console. */
  assetsDir?: string
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void }
}

export interface RouteContext {
  req: IncomingMessage
  /** The `:name` parameters, decoded. */
  params: Record<string, string>
  query: URLSearchParams
  /** The request's JSON object body (415 unless application/json, 400 unless an object). */
  body(): Promise<Record<string, unknown>>
  config: LoadedConfig
  deps: ConsoleDeps
  env: NodeJS.ProcessEnv
}

export interface Answer {
  status: number
  body: unknown
}

export type RouteHandler = (ctx: RouteContext) => Promise<Answer> | Answer

export interface Route {
  method: string
  pattern: string
  handle: RouteHandler
  /** Compiled from `pattern`. */
  regex: RegExp
  names: string[]
}

/** `route('GET', '/profiles/:id', handler)`; a parameter is one path segment. */
export function route(method: string, pattern: string, handle: RouteHandler): Route {
  const names: string[] = []
  const source = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:([a-zA-Z]+)/g, (_, name: string) => {
    names.push(name)
    return '([^/]+)'
  })
  return { method, pattern, handle, regex: new RegExp(`^${source}$`), names }
}

/** The route for `method path` with its decoded parameters; 404 when no pattern fits, 405 when only the method is wrong. */
export function matchRoute(routes: readonly Route[], method: string, path: string): { route: Route; params: Record<string, string> } {
  let pathMatched = false
  for (const r of routes) {
    const m = r.regex.exec(path)
    if (!m) continue
    pathMatched = true
    if (r.method !== method) continue
    const params: Record<string, string> = {}
    r.names.forEach((name, i) => (params[name] = decodeParam(m[i + 1])))
    return { route: r, params }
  }
  if (pathMatched) throw new CallbackRouterError('CONSOLE_METHOD_NOT_ALLOWED', [method])
  throw new CallbackRouterError('CONSOLE_NO_ROUTE', [method, path])
}

export function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    throw new CallbackRouterError('CONSOLE_BAD_ESCAPE', [raw.length > 80 ? `${raw.slice(0, 77)}...` : raw])
  }
}

export function json(status: number, body: unknown): Answer {
  return { status, body }
}

/** The API a route needs, or 503 when the daemon runs without it. */
export function need<T>(api: T | undefined, what: string): T {
  if (!api) throw new CallbackRouterError('CONSOLE_NO_NATS', [what])
  return api
}
