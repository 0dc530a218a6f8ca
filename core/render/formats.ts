// The built-in body formats: rendered fields in, the exact bytes and their type out.
// Those bytes are what is signed and sent.
import { randomBytes } from 'node:crypto'
import type { BuiltinFormat, FormattedBody, Formatter, RenderedFields } from '../plugin/contract'
import type { PluginRegistry } from '../plugin/registry'

export type { BuiltinFormat } from '../plugin/contract'

export const CONTENT_TYPES: Record<BuiltinFormat, string> = {
  json: 'application/json',
  urlencoded: 'application/x-www-form-urlencoded',
  form: 'multipart/form-data',
}

const utf8 = new TextEncoder()

/** Text that UTF-8 can carry: a lone surrogate becomes U+FFFD, as every encoder does. */
export function wellFormed(s: string): string {
  return LONE_SURROGATE.test(s) ? s.replace(LONE_SURROGATE_ALL, '\uFFFD') : s
}
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const LONE_SURROGATE_ALL = new RegExp(LONE_SURROGATE.source, 'g')

/** application/x-www-form-urlencoded encoding of one name or value (space as `+`). */
export function formEncode(s: string): string {
  return encodeURIComponent(wellFormed(s)).replace(/%20/g, '+')
}

/** A flat JSON object of the fields, in order (a later field of the same name wins). */
export function formatJson(fields: RenderedFields): FormattedBody {
  // No prototype: a field named `__proto__` is a field like any other, not a setter.
  const obj: Record<string, string> = Object.create(null) as Record<string, string>
  for (const [name, value] of fields) obj[name] = value
  return { body: utf8.encode(JSON.stringify(obj)), contentType: CONTENT_TYPES.json }
}

export function formatUrlencoded(fields: RenderedFields): FormattedBody {
  let text = ''
  for (const [name, value] of fields) text += (text === '' ? '' : '&') + formEncode(name) + '=' + formEncode(value)
  return { body: utf8.encode(text), contentType: CONTENT_TYPES.urlencoded }
}

/** A boundary no field can contain by chance: 32 random hex digits. */
export function randomBoundary(): string {
  return `----callback-router-${randomBytes(16).toString('hex')}`
}

// randomBytes costs ~15 µs a call on Node 20: a per-process random prefix and a counter
// give each request its own boundary for the price of a string join. Event data cannot
// guess the prefix; a value that holds the boundary anyway gets a fresh random one.
const boundaryPrefix = `----callback-router-${randomBytes(12).toString('hex')}-`
let boundaryCounter = 0

function requestBoundary(fields: RenderedFields): string {
  boundaryCounter = (boundaryCounter + 1) % 0x100000000
  const boundary = boundaryPrefix + boundaryCounter.toString(36)
  for (const [name, value] of fields) if (value.includes(boundary) || name.includes(boundary)) return randomBoundary()
  return boundary
}

/** A field name in a Content-Disposition header, escaped as browsers do (WHATWG HTML). */
function dispositionName(name: string): string {
  return wellFormed(name).replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22')
}

/**
 * multipart/form-data (RFC 7578): one text part per field, values as UTF-8, as they
 * are (line breaks are not rewritten). `boundary` makes the output deterministic for tests.
 */
export function formatMultipart(fields: RenderedFields, boundary: string = requestBoundary(fields)): FormattedBody {
  let text = ''
  for (const [name, value] of fields) {
    text += `--${boundary}\r\nContent-Disposition: form-data; name="${dispositionName(name)}"\r\n\r\n${wellFormed(value)}\r\n`
  }
  text += `--${boundary}--\r\n`
  return { body: utf8.encode(text), contentType: `${CONTENT_TYPES.form}; boundary=${boundary}` }
}

/** The built-in formats' formatters, keyed by the names plugin/contract.ts lists. */
export const builtinFormatters: Record<BuiltinFormat, Formatter> = {
  json: formatJson,
  urlencoded: formatUrlencoded,
  // The boundary is drawn per request: never pass a second argument through.
  form: (fields) => formatMultipart(fields),
}

/** The format registry's lookup: a built-in, else a plugin's formatter of that name. */
export function formatterOf(name: string, registry: PluginRegistry): Formatter | undefined {
  return Object.prototype.hasOwnProperty.call(builtinFormatters, name) ? builtinFormatters[name as BuiltinFormat] : registry.pluginFormatters().get(name)
}
