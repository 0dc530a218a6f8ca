// The console's HTTP plumbing: JSON answers (errors as `{ error, code }` with the code's
// status), redirects, bounded JSON bodies, and the security headers of every page.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { CallbackRouterError } from '../errors'

export const MAX_BODY_BYTES = 1 << 20

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  // Serialized first: a value that cannot be (too deeply nested) fails before any header is set.
  const text = JSON.stringify(body)
  res.statusCode = status
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('cache-control', 'no-store')
  res.setHeader('x-content-type-options', 'nosniff')
  res.end(text)
}

/** A catalogued error as the API answers it; anything else is a 500 whose cause is logged, not shown. */
export function sendError(res: ServerResponse, e: unknown): void {
  const known = e instanceof CallbackRouterError && e.status !== undefined ? e : new CallbackRouterError('CONSOLE_INTERNAL')
  if (res.headersSent) {
    res.destroy()
    return
  }
  if (known.code === 'CONSOLE_TOO_MANY_FAILURES') res.setHeader('retry-after', '1')
  sendJson(res, known.status!, { error: known.message, code: known.code, ...known.details })
}

export function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303
  res.setHeader('location', location)
  res.setHeader('cache-control', 'no-store')
  res.end()
}

export function securityHeaders(res: ServerResponse, styleNonce?: string): void {
  res.setHeader('x-content-type-options', 'nosniff')
  res.setHeader('x-frame-options', 'DENY')
  res.setHeader('referrer-policy', 'same-origin')
  const style = styleNonce ? `'nonce-${styleNonce}'` : "'self'"
  res.setHeader('content-security-policy', `default-src 'none'; script-src 'self'; style-src ${style}; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`)
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new CallbackRouterError('CONSOLE_BODY_TOO_LARGE', [MAX_BODY_BYTES])
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const ct = req.headers['content-type'] ?? ''
  // A cross-site form cannot send application/json without a preflight: one more CSRF wall.
  if (!/^application\/json\b/i.test(ct)) throw new CallbackRouterError('CONSOLE_CONTENT_TYPE')
  const text = (await readBody(req)).toString('utf8')
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (e) {
    throw new CallbackRouterError('CONSOLE_INVALID_JSON', [(e as Error).message])
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CallbackRouterError('CONSOLE_INVALID_JSON', ['expected a JSON object'])
  return v as Record<string, unknown>
}
