// Rules of the request's outer shape: header names and values, the URLs, auth. Hostile
// input is refused here, at load, rather than failing every delivery later (DESIGN
// "Secrets and hostile input"). Messages never hold a value: it may be a secret.
import type { Profile } from '../generated/profile'
import type { VariableIndex } from '../plugin/catalog'
import { escapePointer } from './schema'
import { findPlaceholders } from './placeholders'
import type { Report } from './profile-rules'

/** RFC 9110 token. */
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** Control characters other than horizontal tab: C0, DEL and C1. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/
/** Outside visible Latin-1 (HTAB, SP, VCHAR, U+00A0–U+00FF): what HTTP cannot carry as written. */
const NOT_LATIN1 = /[^\t\u0020-\u007e\u00a0-\u00ff]/
/** `scheme://authority` then a path, query or fragment delimiter must come before any placeholder. */
const ORIGIN_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#<]*(?=[/?#])/
/** The authority as WHATWG URL parsing finds it: after the scheme and any slashes or backslashes. */
const AUTHORITY = /^[A-Za-z][A-Za-z0-9+.-]*:[/\\]*([^/\\?#]*)/

/**
 * Headers the daemon sets itself or that change the framing: Host, the framing and
 * connection headers, Expect (a 100-continue handshake the receiver did not ask for),
 * and every `webhook-*` name (the signed Standard Webhooks headers and their namespace).
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade', 'te', 'trailer', 'keep-alive', 'proxy-connection'])

/** Reserved in any case: `HOST`, `Webhook-Id`, `webhook-anything`. */
export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase()
  return RESERVED_HEADERS.has(lower) || lower.startsWith('webhook-')
}

/** Names are tokens and not reserved; values are visible Latin-1 without control characters. */
export function checkHeaders(headers: Record<string, string>, at: string, report: Report, template: (t: string, pointer: string) => void = () => undefined): void {
  for (const [name, value] of Object.entries(headers)) {
    const ptr = `${at}/${escapePointer(name)}`
    if (!HTTP_TOKEN.test(name)) report('error', 'CONFIG_HEADER_NAME', ptr, name)
    else if (isReservedHeader(name)) report('error', 'CONFIG_HEADER_RESERVED', ptr, name)
    if (CONTROL.test(value)) report('error', 'CONFIG_HEADER_VALUE', ptr, name)
    else {
      const bad = NOT_LATIN1.exec(value)
      if (bad) report('error', 'CONFIG_HEADER_VALUE_CHARSET', ptr, name, codePoint(bad[0]))
    }
    template(value, ptr)
  }
}

export function checkAuth(auth: NonNullable<Profile['auth']>, report: Report): void {
  if (auth.type === 'basic') {
    if (auth.username.includes(':')) report('error', 'CONFIG_BASIC_USERNAME', '/auth/username')
    return
  }
  if (!isHttpUrl(auth.tokenUrl)) report('error', 'CONFIG_ENDPOINT_INVALID', '/auth/tokenUrl', 'the token URL must be an http or https URL')
  else if (hasUserInfo(auth.tokenUrl)) report('error', 'CONFIG_ENDPOINT_USERINFO', '/auth/tokenUrl')
  // The token request carries the client secret: the same reserved list holds there.
  checkHeaders(auth.headers ?? {}, '/auth/headers', report)
}

/**
 * The endpoint: placeholders only after the origin, no user info, and rendered with the
 * catalog's examples it parses as an http(s) URL.
 */
export function checkUrl(endpoint: string, pointer: string, report: Report, index: VariableIndex): void {
  const placeholders = findPlaceholders(endpoint)
  if (placeholders.length > 0) {
    const origin = ORIGIN_PREFIX.exec(endpoint)
    const first = endpoint.search(/<[A-Za-z_]/)
    if (!origin || placeholders[0].start < origin[0].length || (first >= 0 && first < origin[0].length)) {
      report('error', 'CONFIG_PLACEHOLDER_IN_ORIGIN', pointer)
      return
    }
  }
  if (hasUserInfo(endpoint)) {
    report('error', 'CONFIG_ENDPOINT_USERINFO', pointer)
    return
  }
  const examples = new Map(index.variables.map((v) => [v.name, v.example]))
  let rendered = ''
  let last = 0
  for (const ph of placeholders) {
    const ex = examples.get(ph.name.replace(/\[\d+\]/g, '[n]'))
    rendered += endpoint.slice(last, ph.start) + encodeURIComponent(ex === undefined ? 'x' : typeof ex === 'string' ? ex : JSON.stringify(ex))
    last = ph.end
  }
  rendered += endpoint.slice(last)
  if (!isHttpUrl(rendered)) report('error', 'CONFIG_ENDPOINT_INVALID', pointer, 'rendered with the catalog examples it does not parse as an http(s) URL')
}

/**
 * User info in any spelling (`u:p@`, `u@`, `@`, `%75@`, after backslashes or stray tabs):
 * URL parsing drops it from the request or sends it where the operator did not mean to.
 */
export function hasUserInfo(url: string): boolean {
  // WHATWG URL parsing strips leading C0/space and every tab and newline before reading.
  // eslint-disable-next-line no-control-regex -- the characters URL parsing ignores
  const cleaned = url.replace(/^[\u0000-\u0020]+/, '').replace(/[\t\n\r]/g, '')
  const authority = AUTHORITY.exec(cleaned)
  if (authority && authority[1].includes('@')) return true
  try {
    const u = new URL(cleaned)
    return u.username !== '' || u.password !== ''
  } catch {
    return false
  }
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== ''
  } catch {
    return false
  }
}

function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
}
