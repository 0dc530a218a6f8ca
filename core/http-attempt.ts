// One HTTP exchange of a delivery attempt. A single AbortSignal bounds it from connect to
// the last response byte: undici's bodyTimeout is idle time between chunks, so a body
// trickled one byte at a time would never trip it. 2xx is success, anything else (3xx
// included: redirects are not followed) a failure with a short reason. The response is
// read up to a small cap for logs, then the rest is destroyed.
import type { Dispatcher } from 'undici'
import { CallbackRouterError } from './errors'
import type { OutgoingRequest } from './request'
import { VERSION } from './version'

export const USER_AGENT = `callback-router/${VERSION}`

export interface AttemptResult {
  ok: boolean
  /** The HTTP status, or null when no response arrived. */
  status: number | null
  /** Short reason of a failure: 'status 503', 'timeout', 'reset', 'refused', 'dns', 'address_refused', …; null on success. */
  error: string | null
  /** The network policy refused the address: not retried. */
  refused: boolean
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
   * after 401); default AbortSignal.timeout(timeoutMs).
   */
  signal?: AbortSignal
  /**
   * Called when the request goes out on a connected socket (after DNS, policy check,
   * TCP and TLS): the rate limiter stamps its start there.
   */
  onStart?: () => void
}

type AnyHandler = Record<string, unknown>

/** The dispatcher, with `onStart` called as undici writes this request to its socket. */
function withStart(dispatcher: Dispatcher, onStart: () => void): Dispatcher {
  return dispatcher.compose((dispatch) => (opts, handler) => {
    const h = handler as unknown as AnyHandler
    // undici calls onRequestStart (or onConnect on a legacy handler) just before it
    // writes the request; compose() hands interceptors handlers with the new interface.
    const key = typeof h.onRequestStart === 'function' ? 'onRequestStart' : 'onConnect'
    const original = h[key] as ((...args: unknown[]) => unknown) | undefined
    h[key] = function (this: unknown, ...args: unknown[]) {
      onStart()
      return original?.apply(this, args)
    }
    return dispatch(opts, handler)
  })
}

/** The short reason of a transport failure, as written to the attempt log. */
export function reasonOf(err: unknown, signal?: AbortSignal): { error: string; refused: boolean } {
  if (err instanceof CallbackRouterError && err.code === 'address_refused') return { error: 'address_refused', refused: true }
  if (signal?.aborted) return { error: 'timeout', refused: false }
  const e = err as { code?: string; name?: string; message?: string; errors?: { code?: string }[]; cause?: unknown }
  const code = e?.code ?? e?.errors?.[0]?.code
  switch (code) {
    case 'ECONNREFUSED':
      return { error: 'refused', refused: false }
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { error: 'reset', refused: false }
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NODATA':
    case 'EAI_NONAME':
      return { error: 'dns', refused: false }
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return { error: 'timeout', refused: false }
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { error: 'unreachable', refused: false }
  }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { error: 'timeout', refused: false }
  if (typeof code === 'string' && (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL'))) {
    return { error: `tls ${code}`, refused: false }
  }
  if (e?.cause !== undefined && e.cause !== err) return reasonOf(e.cause, signal)
  const text = typeof code === 'string' ? code : (e?.message ?? String(err))
  return { error: text.length > 80 ? `${text.slice(0, 77)}...` : text, refused: false }
}

/**
 * Reads at most `cap` bytes of a body, then destroys the rest (the socket goes with it).
 * Plain listeners, not `for await`: the async iterator and its end-of-stream watcher cost
 * about 3 % of the daemon's CPU on the usual two-byte answer (bench profile).
 */
function readExcerpt(body: Dispatcher.ResponseData['body'], cap: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const finish = (err?: Error): void => {
      if (settled) return
      settled = true
      body.off('data', onData)
      if (err) reject(err)
      else resolve(Buffer.concat(chunks, size).toString('utf8'))
    }
    const onData = (chunk: Buffer): void => {
      if (size + chunk.length >= cap) {
        if (size < cap) chunks.push(chunk.subarray(0, cap - size))
        size = cap
        finish()
        // A bigger answer than a webhook receiver should send: stop reading it.
        body.destroy()
        return
      }
      chunks.push(chunk)
      size += chunk.length
    }
    body.on('data', onData)
    body.once('end', () => finish())
    body.once('error', (err: Error) => finish(err))
  })
}

/** Sends one request; never throws: every failure is an AttemptResult. */
export async function sendAttempt(req: OutgoingRequest, opts: AttemptOptions): Promise<AttemptResult> {
  const signal = opts.signal ?? AbortSignal.timeout(opts.timeoutMs)
  const started = performance.now()
  let status: number | null = null
  let retryAfter: string | undefined
  try {
    const headers = req.headers['user-agent'] === undefined && req.headers['User-Agent'] === undefined ? { ...req.headers, 'user-agent': USER_AGENT } : req.headers
    const url = new URL(req.url)
    const dispatcher = opts.onStart ? withStart(opts.dispatcher, opts.onStart) : opts.dispatcher
    const res = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: req.method as Dispatcher.HttpMethod,
      headers,
      body: req.body,
      signal,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    })
    status = res.statusCode
    const ra = res.headers['retry-after']
    if (ra !== undefined) retryAfter = Array.isArray(ra) ? ra[0] : ra
    const responseExcerpt = await readExcerpt(res.body, Math.max(0, opts.maxResponseBytes))
    const ok = status >= 200 && status < 300
    return {
      ok,
      status,
      error: ok ? null : `status ${status}`,
      refused: false,
      ...(retryAfter !== undefined ? { retryAfter } : {}),
      latencyMs: elapsed(started),
      responseExcerpt,
    }
  } catch (err) {
    const { error, refused } = reasonOf(err, signal)
    return {
      ok: false,
      // A status whose body did not finish in time is still a failed attempt.
      status,
      error,
      refused,
      ...(retryAfter !== undefined ? { retryAfter } : {}),
      latencyMs: elapsed(started),
      responseExcerpt: '',
    }
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100
}
