// One HTTP exchange of a delivery attempt. A single AbortSignal bounds it from connect to
// the last response byte: undici's bodyTimeout is idle time between chunks, so a body
// trickled one byte at a time would never trip it. 2xx is success, anything else (3xx
// included: redirects are not followed) a failure with a short reason. The response is
// read up to a small cap for logs, then the rest is destroyed.
import type { Dispatcher } from 'undici'
import { CallbackRouterError, type AttemptCode } from '../errors'
import type { OutgoingRequest } from '../render/compile'
import { VERSION } from '../version'

export const USER_AGENT = `callback-router/${VERSION}`

export interface AttemptResult {
  ok: boolean
  /** The HTTP status, or null when no response arrived. */
  status: number | null
  /** Short reason of a failure: 'status 503', 'timeout', 'reset', 'refused', 'dns', 'address_refused', …; null on success. */
  error: string | null
  /** The network policy refused the address: not retried. */
  refused: boolean
  /**
   * What the policy refused: the host, and the address it resolved to (`hooks.example
   * (10.0.0.1)`), for the dead letter; a value from `${env:…}` shows as its reference.
   */
  refusedTarget?: string
  /** The Retry-After header as received, if any. */
  retryAfter?: string
  latencyMs: number
  /** The start of the response body (up to maxResponseBytes), as UTF-8 text. */
  responseExcerpt: string
}

export interface AttemptOptions {
  dispatcher: Dispatcher
  timeoutMs: number
  maxResponseBytes: number
  /**
   * The attempt's deadline when it spans more than this exchange (a token fetch, a resend
   * after 401); default: a timer of timeoutMs of this exchange's own (no AbortSignal: its
   * listener bookkeeping was ~3 % of the daemon's CPU on the plain path).
   */
  signal?: AbortSignal
  /**
   * Called when the request goes out on a connected socket (after DNS, policy check,
   * TCP and TLS): the rate limiter stamps its start there.
   */
  onStart?: () => void
}

/** Node's and undici's error codes with a catalogued attempt reason of their own (errors.ts ATTEMPT). */
const TRANSPORT_REASONS: Readonly<Record<string, AttemptCode>> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NODATA: 'dns',
  EAI_NONAME: 'dns',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
}

/** The short reason of a transport failure, as written to the attempt log. */
export function reasonOf(err: unknown, signal?: AbortSignal): { error: string; refused: boolean; target?: string } {
  // The refusal's `where` is what was refused; its message already went through redaction.
  if (err instanceof CallbackRouterError && err.code === 'address_refused') return { error: 'address_refused', refused: true, target: err.where }
  if (signal?.aborted) return { error: 'timeout', refused: false }
  const e = err as { code?: string; name?: string; message?: string; errors?: { code?: string }[]; cause?: unknown }
  const code = e?.code ?? e?.errors?.[0]?.code
  const reason = typeof code === 'string' ? TRANSPORT_REASONS[code] : undefined
  if (reason !== undefined) return { error: reason, refused: false }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { error: 'timeout', refused: false }
  if (typeof code === 'string' && (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL'))) {
    return { error: `tls ${code}`, refused: false }
  }
  if (e?.cause !== undefined && e.cause !== err) return reasonOf(e.cause, signal)
  const text = typeof code === 'string' ? code : (e?.message ?? String(err))
  return { error: text.length > 80 ? `${text.slice(0, 77)}...` : text, refused: false }
}

/**
 * One exchange, as the handler undici calls: a single object per attempt (its methods on
 * the prototype), since closures per request showed as garbage-collector time.
 *
 * It speaks undici's own handler interface (onConnect, onHeaders with the raw header list,
 * onData, onComplete, onError), the one undici 7's client calls: a handler of the newer
 * interface (onRequestStart, onResponseStart, …) is wrapped per request in an adapter that
 * parses every response's headers and trailers into objects, 2 % of the daemon's CPU in the
 * bench profile, for the one header read here (Retry-After).
 */
class Exchange implements Dispatcher.DispatchHandler {
  private status: number | null = null
  private retryAfter: string | undefined
  private abortExchange: ((err?: Error) => void) | undefined
  private settled = false
  private chunks: Buffer[] = []
  private size = 0
  private readonly started = performance.now()
  private timedOut = false
  /** The exchange's own deadline, when no signal was given. */
  timer: NodeJS.Timeout | undefined

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly cap: number,
    private readonly onStart: (() => void) | undefined,
    private readonly resolve: (r: AttemptResult) => void,
  ) {}

  /** The signal's listener: settles the attempt and aborts the exchange if it has begun. */
  handleEvent(): void {
    this.expire(this.signal?.reason)
  }

  /** The deadline passed. */
  expire(reason: unknown = new DOMException('The operation was aborted due to timeout', 'TimeoutError')): void {
    this.timedOut = true
    this.abortExchange?.(reason instanceof Error ? reason : new Error(String(reason)))
    this.fail(reason)
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortExchange = abort
    if (this.settled) {
      abort(new Error('attempt over'))
      return
    }
    this.onStart?.()
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true // an informational answer; the real one follows
    this.status = statusCode
    const ra = retryAfterOf(rawHeaders)
    if (ra !== undefined) this.retryAfter = ra
    return true
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true
    if (this.size + chunk.length >= this.cap) {
      if (this.size < this.cap) this.chunks.push(chunk.subarray(0, this.cap - this.size))
      this.size = this.cap
      this.succeed()
      // A bigger answer than a webhook receiver should send: stop reading it.
      this.abortExchange?.(new Error('response excerpt complete'))
      return true
    }
    this.chunks.push(chunk)
    this.size += chunk.length
    return true
  }

  onComplete(): void {
    this.succeed()
  }

  onError(err: Error): void {
    this.fail(err)
  }

  fail(err: unknown): void {
    if (this.settled) return
    const { error, refused, target } = this.timedOut ? { error: 'timeout', refused: false, target: undefined } : reasonOf(err, this.signal)
    // A status whose body did not finish in time is still a failed attempt.
    const r: AttemptResult = { ok: false, status: this.status, error, refused, latencyMs: elapsed(this.started), responseExcerpt: '' }
    if (target !== undefined) r.refusedTarget = target
    if (this.retryAfter !== undefined) r.retryAfter = this.retryAfter
    this.settle(r)
  }

  private succeed(): void {
    if (this.settled) return
    const status = this.status
    const ok = status !== null && status >= 200 && status < 300
    const r: AttemptResult = { ok, status, error: ok ? null : `status ${status}`, refused: false, latencyMs: elapsed(this.started), responseExcerpt: this.size === 0 ? '' : Buffer.concat(this.chunks, this.size).toString('utf8') }
    if (this.retryAfter !== undefined) r.retryAfter = this.retryAfter
    this.settle(r)
  }

  private settle(r: AttemptResult): void {
    this.settled = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.signal?.removeEventListener('abort', this)
    this.resolve(r)
  }
}

/**
 * Sends one request; never throws: every failure is an AttemptResult.
 *
 * A handler given straight to `dispatch`, not `dispatcher.request()`: request() wraps the
 * answer in a Readable stream (and compose() wrapped the handler again for the start
 * stamp), which cost more of the daemon's CPU than rendering the request (bench profile).
 * The response is read here up to the cap, then the exchange is aborted (the socket goes
 * with it). The signal settles the attempt at once, even while the connection is still
 * being made; undici aborts the request as soon as it has one.
 */
export function sendAttempt(req: OutgoingRequest, opts: AttemptOptions): Promise<AttemptResult> {
  const signal = opts.signal
  return new Promise<AttemptResult>((resolve) => {
    const exchange = new Exchange(signal, Math.max(0, opts.maxResponseBytes), opts.onStart, resolve)
    if (signal === undefined) {
      exchange.timer = setTimeout(() => exchange.expire(), opts.timeoutMs)
    } else if (signal.aborted) {
      exchange.expire(signal.reason)
      return
    } else signal.addEventListener('abort', exchange)
    try {
      const headers = req.headers['user-agent'] === undefined && req.headers['User-Agent'] === undefined ? { ...req.headers, 'user-agent': USER_AGENT } : req.headers
      const url = target(req.url)
      opts.dispatcher.dispatch(
        {
          origin: url.origin,
          path: url.path,
          method: req.method as Dispatcher.HttpMethod,
          headers,
          body: req.body,
          headersTimeout: opts.timeoutMs,
          bodyTimeout: opts.timeoutMs,
        },
        exchange,
      )
    } catch (err) {
      exchange.fail(err)
    }
  })
}

/**
 * Origin and path of a request URL. Most profiles send every event to the same URL, so the
 * parse is kept per URL string (a bounded map, emptied when full: URLs with per-event
 * query values only ever miss). A URL that does not parse throws, as `new URL` does.
 */
const targets = new Map<string, { origin: string; path: string }>()
const MAX_TARGETS = 1024

function target(url: string): { origin: string; path: string } {
  let t = targets.get(url)
  if (t === undefined) {
    const u = new URL(url)
    t = { origin: u.origin, path: `${u.pathname}${u.search}` }
    if (targets.size >= MAX_TARGETS) targets.clear()
    targets.set(url, t)
  }
  return t
}

const RETRY_AFTER = 'retry-after'

/** The first Retry-After of a raw header list ([name, value, name, value, …] as bytes). */
function retryAfterOf(raw: Buffer[]): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]
    if (name.length === RETRY_AFTER.length && name.toString('latin1').toLowerCase() === RETRY_AFTER) return raw[i + 1].toString('latin1')
  }
  return undefined
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100
}
