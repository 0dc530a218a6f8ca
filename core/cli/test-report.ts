// What `test` shows of a request and its answer: as text for people, or `--json` in
// DESIGN's shape for scripts. Every `${env:…}` value is hidden: as `****` in the text,
// as its `${env:NAME}` reference in JSON; credentials keep only their scheme.
import type { Dispatcher } from 'undici'
import type { DeliveryAttempt } from '../delivery/deliver'
import type { OutgoingRequest } from '../render/compile'
import { redact } from '../redact'

export const MASK = '****'
const BODY_PRINT_LIMIT = 4096
const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g

/** A secret's value and what to show instead. */
export type Secret = readonly [value: string, shown: string]

/** Every `${env:NAME}` value the raw profile refers to, longest first, with its reference. */
export function secretRefs(raw: unknown, env: NodeJS.ProcessEnv = process.env): Secret[] {
  const out = new Map<string, string>()
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(ENV_REF)) {
        const value = env[m[1]]
        // Too short to mask without masking ordinary text.
        if (value !== undefined && value.length >= 4 && !out.has(value)) out.set(value, m[0])
      }
    } else if (Array.isArray(v)) v.forEach(walk)
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk)
  }
  walk(raw)
  // Longest first, so a secret containing another is masked whole.
  return [...out].sort((a, b) => b[0].length - a[0].length)
}

/** Every `${env:NAME}` value the raw profile refers to: what the printout must not show. */
export function secretValues(raw: unknown, env: NodeJS.ProcessEnv = process.env): string[] {
  return secretRefs(raw, env).map(([value]) => value)
}

/** Each secret as `shown` (the text's mask), else as its reference; then whatever else the process knows to be secret. */
function hide(text: string, secrets: readonly Secret[], shown?: string): string {
  let out = text
  for (const [value, ref] of secrets) {
    const instead = shown ?? ref
    out = out.split(value).join(instead)
    const encoded = encodeURIComponent(value)
    if (encoded !== value) out = out.split(encoded).join(shown ?? encodeURIComponent(ref))
  }
  return shown === undefined ? redact(out) : out
}

export interface PrintedRequest {
  method: string
  url: string
  headers: [string, string][]
  body: string | undefined
}

/**
 * The request as shown: Authorization keeps only its scheme, the signature its version,
 * headers written with ${env:…} in the profile are hidden whole, and any env-provided
 * value is hidden wherever it appears (URL, headers, body). `mask` replaces each secret
 * (the text's `****`); without it a secret shows as its `${env:NAME}` reference.
 */
export function showRequest(req: OutgoingRequest, raw: unknown, secrets: readonly Secret[], mask?: string): PrintedRequest {
  const rawHeaders = (raw as { headers?: Record<string, unknown> } | null)?.headers ?? {}
  const envHeaders = new Map(Object.entries(rawHeaders).filter(([, v]) => typeof v === 'string' && v.includes('${env:')).map(([k, v]) => [k.toLowerCase(), v as string]))
  const cover = mask ?? '***'
  const headers = Object.entries(req.headers).map(([name, value]): [string, string] => {
    if (name === 'authorization') return [name, `${value.split(' ')[0]} ${cover}`]
    if (name === 'webhook-signature') return [name, value.split(' ').map((s) => `${s.split(',')[0]},${cover}`).join(' ')]
    const written = envHeaders.get(name)
    if (written !== undefined) return [name, mask ?? written]
    return [name, hide(value, secrets, mask)]
  })
  let body: string | undefined
  if (req.body !== undefined) {
    const text = Buffer.from(req.body).toString('utf8')
    const clipped = mask !== undefined && text.length > BODY_PRINT_LIMIT ? `${text.slice(0, BODY_PRINT_LIMIT)}… (${req.body.length} bytes)` : text
    body = hide(clipped, secrets, mask)
  }
  return { method: req.method, url: hide(req.url, secrets, mask), headers, body }
}

/** The text form's request: secrets as `****`. */
export function maskRequest(req: OutgoingRequest, raw: unknown, secrets: readonly string[]): PrintedRequest {
  return showRequest(req, raw, secrets.map((s) => [s, MASK] as const), MASK)
}

export function formatResult(r: DeliveryAttempt, printed: PrintedRequest | undefined): string {
  const lines: string[] = []
  if (printed) {
    lines.push('Request:', `  ${printed.method} ${printed.url}`)
    for (const [k, v] of printed.headers) lines.push(`  ${k}: ${v}`)
    if (printed.body !== undefined) lines.push('', ...printed.body.split('\n').map((l) => `  ${l}`))
    lines.push('')
  }
  if (r.status !== null) {
    lines.push(`Response: ${r.status} in ${r.latencyMs.toFixed(1)} ms`)
    // The receiver may echo a header: its reply shows `${env:…}` values as their references.
    if (r.responseExcerpt !== '') lines.push(...redact(r.responseExcerpt).slice(0, 1024).split('\n').map((l) => `  ${l}`))
  } else {
    lines.push(`No response (${r.error}) after ${r.latencyMs.toFixed(1)} ms`)
  }
  return lines.join('\n') + '\n'
}

export type ResponseHeaders = Record<string, string | string[]>

/** `test --json` (DESIGN "CLI"). */
export interface TestReport {
  ok: boolean
  request: { method: string; url: string; headers: Record<string, string>; body: string | null } | null
  response: { status: number; headers: ResponseHeaders; body: string } | null
  error: string | null
  latencyMs: number
}

export function jsonReport(r: DeliveryAttempt, raw: unknown, secrets: readonly Secret[], responseHeaders: ResponseHeaders | undefined): TestReport {
  const shown = r.request ? showRequest(r.request, raw, secrets) : undefined
  const headers: ResponseHeaders = {}
  for (const [k, v] of Object.entries(responseHeaders ?? {})) headers[k] = Array.isArray(v) ? v.map((x) => hide(x, secrets)) : hide(v, secrets)
  return {
    ok: r.outcome === 'delivered',
    request: shown ? { method: shown.method, url: shown.url, headers: Object.fromEntries(shown.headers), body: shown.body ?? null } : null,
    response: r.status === null ? null : { status: r.status, headers, body: hide(r.responseExcerpt, secrets) },
    error: r.error === null ? null : hide(r.error, secrets),
    latencyMs: r.latencyMs,
  }
}

/**
 * A dispatcher that remembers the headers of each answer by URL, so the callback's can be
 * told from a token request's. The delivery path reads no response headers; only `test` shows them.
 */
export function recordingHeaders(dispatcher: Dispatcher): { dispatcher: Dispatcher; headersOf: (url: string) => ResponseHeaders | undefined } {
  const seen = new Map<string, ResponseHeaders>()
  const composed = dispatcher.compose((dispatch) => (opts, handler) => {
    const h = handler as Dispatcher.DispatchHandler
    // A handler of the older callback style (undici's request(), the token fetch) is left as it is.
    if (typeof h.onResponseStart !== 'function') return dispatch(opts, handler)
    const key = `${String(opts.origin)}${opts.path}`
    const onResponseStart: Dispatcher.DispatchHandler['onResponseStart'] = (controller, status, headers, message) => {
      if (status >= 200) seen.set(key, headers as ResponseHeaders)
      return h.onResponseStart!.call(h, controller, status, headers, message)
    }
    // Every other member reads and writes the handler itself.
    const wrapped = new Proxy(h, {
      get(target, prop) {
        if (prop === 'onResponseStart') return onResponseStart
        const v: unknown = Reflect.get(target, prop, target)
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
      },
    })
    return dispatch(opts, wrapped)
  })
  return {
    dispatcher: composed,
    headersOf(url) {
      const u = new URL(url)
      return seen.get(`${u.origin}${u.pathname}${u.search}`)
    },
  }
}
