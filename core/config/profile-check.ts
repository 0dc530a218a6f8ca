// Checks one profile: the schema, then every rule a schema cannot express.
// Shared by the loader, `validate` and the console, so all speak the same codes.
import type { Profile } from '../generated/profile'
import type { PluginRegistry } from '../plugin/registry'
import type { VariableIndex } from '../plugin/catalog'
import { validateProfile, describeAjvError, ajvErrorPointer, escapePointer } from './schema'
import { expandEnv, decodeBytes, coveredByMissing, schemaErrorsOfMissing, type MissingEnv } from './env'
import { diagnostic, type Diagnostic } from '../diagnostics'
import { findPlaceholders } from '../render/placeholders'
import { CallbackRouterError, type ConfigCode } from '../errors'
import { BUILTIN_FORMATS, EVENT_NAME } from '../plugin/contract'
import { RESERVED_HEADERS } from '../render/compile'

/** RFC 9110 token. */
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** Control characters other than horizontal tab. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/
/** `scheme://authority` then a path, query or fragment delimiter must come before any placeholder. */
const ORIGIN_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#<]*(?=[/?#])/

export interface ProfileCheck {
  /** The profile with `${env:…}` expanded and defaults filled, when it has no errors. */
  profile?: Profile
  diagnostics: Diagnostic[]
}

export interface CheckOptions {
  env?: NodeJS.ProcessEnv
}

/** Defaults the schema states, filled in so that consumers need not repeat them. */
export function withDefaults(p: Profile): Profile {
  return { ...p, enabled: p.enabled ?? true, method: p.method ?? 'POST', format: p.format ?? 'json', headers: p.headers ?? {} }
}

export function checkProfile(raw: unknown, file: string, registry: PluginRegistry, options: CheckOptions = {}): ProfileCheck {
  const out: Diagnostic[] = []
  const err = (code: ConfigCode, pointer: string, ...args: unknown[]) => out.push(diagnostic('error', code, file, pointer, args))
  const warn = (code: ConfigCode, pointer: string, ...args: unknown[]) => out.push(diagnostic('warning', code, file, pointer, args))

  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    err('CONFIG_NOT_AN_OBJECT', '')
    return { diagnostics: out }
  }
  const missing: MissingEnv[] = []
  const expanded = expandEnv(raw, options.env ?? process.env, missing)
  for (const m of missing) err('CONFIG_ENV_MISSING', m.pointer, m.name)

  if (!validateProfile(expanded)) {
    let structural = false
    const errors = validateProfile.errors ?? []
    const ofMissing = schemaErrorsOfMissing(errors, missing)
    for (const e of errors) {
      // oneOf over auth/secret repeats each branch's errors; the branch errors say more.
      // A missing variable was reported once above: its empty text is no second problem.
      if (e.keyword === 'oneOf' || ofMissing.has(e)) continue
      if (e.instancePath === '/title') err('CONFIG_TITLE_INVALID', '/title')
      else {
        structural = true
        err('CONFIG_SCHEMA', ajvErrorPointer(e), describeAjvError(e))
      }
    }
    // A bad title leaves the shape intact: the other checks still run and report.
    if (structural) return { diagnostics: dedupe(out, missing) }
  }
  // The schema passed, or failed only on the title, which leaves the shape intact.
  const p = withDefaults(expanded as Profile)
  const plugin = registry.get(p.channel)
  if (!plugin) {
    err('CONFIG_UNKNOWN_CHANNEL', '/channel', p.channel, registry.names.join(', '))
    return { diagnostics: dedupe(out, missing) }
  }

  // Events
  if (p.events) {
    p.events.forEach((e, i) => {
      const offered = plugin.catchAll ? EVENT_NAME.test(e) : registry.eventSpec(p.channel, e) !== undefined
      if (!offered) err('CONFIG_UNKNOWN_EVENT', `/events/${i}`, p.channel, e, registry.eventsOf(p.channel).join(', ') || 'any [a-z0-9_-]+')
    })
  }

  // Retry cap
  if (p.retry?.count !== undefined && p.retry.count > plugin.retry.maxRetries) {
    err('CONFIG_RETRY_ABOVE_CAP', '/retry/count', p.retry.count, p.channel, plugin.retry.maxRetries)
  }

  // Format and body
  const formats = [...BUILTIN_FORMATS, ...registry.pluginFormatters().keys()]
  if (!formats.includes(p.format!)) err('CONFIG_UNKNOWN_FORMAT', '/format', p.format, formats.join(', '))
  const index = registry.variableIndex(p.channel, p.events)
  const unknownVariable = (name: string, pointer: string) => {
    if (index.has(name)) return
    if (plugin.catchAll) warn('CONFIG_UNKNOWN_VARIABLE_WARNING', pointer, name, index.suggestion(name))
    else err('CONFIG_UNKNOWN_VARIABLE', pointer, name, index.suggestion(name))
  }
  const checkTemplate = (template: string, pointer: string) => {
    for (const ph of findPlaceholders(template)) unknownVariable(ph.name, pointer)
  }

  if (p.body !== undefined) {
    if (p.method === 'GET' || p.method === 'DELETE') err('CONFIG_BODY_NOT_ALLOWED', '/body', p.method)
    else checkBody(p, (ptr, msg) => err('CONFIG_BODY_SHAPE', ptr, msg), (msg) => err('CONFIG_BODY_INVALID_JSON', '/body', msg), checkTemplate)
  }

  // Endpoint
  checkTemplate(p.endpoint, '/endpoint')
  checkEndpoint(p.endpoint, index, (code, ...args) => err(code, '/endpoint', ...args))

  // Headers
  const headerNames = Object.keys(p.headers ?? {}).map((h) => h.toLowerCase())
  for (const [name, value] of Object.entries(p.headers ?? {})) {
    const ptr = `/headers/${escapePointer(name)}`
    if (!HTTP_TOKEN.test(name)) err('CONFIG_HEADER_NAME', ptr, name)
    else if (RESERVED_HEADERS.has(name.toLowerCase())) err('CONFIG_HEADER_RESERVED', ptr, name)
    if (CONTROL.test(value)) err('CONFIG_HEADER_VALUE', ptr, name)
    checkTemplate(value, ptr)
  }
  if (p.format === 'form' && headerNames.includes('content-type')) err('CONFIG_HEADER_CONTENT_TYPE_FORM', '/headers')
  if (p.auth && headerNames.includes('authorization')) err('CONFIG_HEADER_AUTH_CONFLICT', '/headers')

  // Auth
  if (p.auth?.type === 'basic' && p.auth.username.includes(':')) err('CONFIG_BASIC_USERNAME', '/auth/username')
  if (p.auth?.type === 'oauth2') {
    if (!isHttpUrl(p.auth.tokenUrl)) err('CONFIG_ENDPOINT_INVALID', '/auth/tokenUrl', 'the token URL must be an http or https URL')
    for (const [name, value] of Object.entries(p.auth.headers ?? {})) {
      const ptr = `/auth/headers/${escapePointer(name)}`
      if (!HTTP_TOKEN.test(name)) err('CONFIG_HEADER_NAME', ptr, name)
      if (CONTROL.test(value)) err('CONFIG_HEADER_VALUE', ptr, name)
    }
  }

  // Encryption
  if (p.encryption) {
    const { algorithm, key, iv, parameters } = p.encryption
    const keyBytes = Number(algorithm.split('-')[1]) / 8
    const gcm = algorithm.endsWith('gcm')
    const decoded = tryDecode(key, 'encryption.key', (m) => err('CONFIG_BAD_ENCODING', '/encryption/key', ...m))
    if (decoded && decoded.length !== keyBytes) err('CONFIG_KEY_LENGTH', '/encryption/key', algorithm, keyBytes, decoded.length)
    if (iv !== 'random') {
      const ivBytes = tryDecode(iv, 'encryption.iv', (m) => err('CONFIG_BAD_ENCODING', '/encryption/iv', ...m))
      if (ivBytes) {
        const fits = gcm ? ivBytes.length === 12 || ivBytes.length === 16 : ivBytes.length === 16
        if (!fits) err('CONFIG_IV_LENGTH', '/encryption/iv', algorithm, gcm ? '12-byte (or 16-byte)' : '16-byte', ivBytes.length)
        if (gcm) warn('CONFIG_GCM_FIXED_IV', '/encryption/iv')
      }
    }
    parameters.forEach((name, i) => unknownVariable(name, `/encryption/parameters/${i}`))
  }

  // Signing
  if (p.signing) {
    const secrets = Array.isArray(p.signing.secret) ? p.signing.secret : [p.signing.secret]
    secrets.forEach((s, i) => {
      if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(s)) err('CONFIG_SIGNING_SECRET', Array.isArray(p.signing!.secret) ? `/signing/secret/${i}` : '/signing/secret')
    })
  }

  const diagnostics = dedupe(out, missing)
  return { profile: diagnostics.some((d) => d.level === 'error') ? undefined : p, diagnostics }
}

function checkBody(
  p: Profile,
  shape: (pointer: string, message: string) => void,
  invalidJson: (message: string) => void,
  template: (t: string, pointer: string) => void,
): void {
  const body = p.body
  if (p.format === 'json') {
    if (typeof body === 'string') {
      template(body, '/body')
      // Every placeholder stands for a JSON value once filled: `0` is one, inside quotes or bare.
      try {
        JSON.parse(body.replace(/<([A-Za-z_][A-Za-z0-9_.[\]]*)>/g, '0'))
      } catch (e) {
        invalidJson((e as Error).message)
      }
      return
    }
    walkStrings(body, '/body', template)
    return
  }
  // urlencoded, form and plugin formats take flat fields.
  if (typeof body === 'string') {
    if (p.format === 'urlencoded') template(body, '/body')
    else shape('/body', `the ${p.format} format takes an object of field -> template`)
    return
  }
  if (Array.isArray(body)) {
    shape('/body', `the ${p.format} format takes a flat object of field -> template, not an array`)
    return
  }
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    const ptr = `/body/${escapePointer(k)}`
    if (typeof v !== 'string') shape(ptr, `the ${p.format} format takes flat string templates; nest with dotted field names instead`)
    else template(v, ptr)
  }
}

function walkStrings(value: unknown, pointer: string, visit: (s: string, pointer: string) => void): void {
  if (typeof value === 'string') visit(value, pointer)
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, `${pointer}/${i}`, visit))
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walkStrings(v, `${pointer}/${escapePointer(k)}`, visit)
  }
}

function checkEndpoint(endpoint: string, index: VariableIndex, err: (code: ConfigCode, ...args: unknown[]) => void): void {
  const first = endpoint.search(/<[A-Za-z_]/)
  const placeholders = findPlaceholders(endpoint)
  if (placeholders.length > 0) {
    const origin = ORIGIN_PREFIX.exec(endpoint)
    if (!origin || placeholders[0].start < origin[0].length || (first >= 0 && first < origin[0].length)) {
      err('CONFIG_PLACEHOLDER_IN_ORIGIN')
      return
    }
  }
  // Rendered with the catalog's examples, the endpoint must parse.
  const examples = new Map(index.variables.map((v) => [v.name, v.example]))
  let rendered = ''
  let last = 0
  for (const ph of placeholders) {
    const ex = examples.get(ph.name.replace(/\[\d+\]/g, '[n]'))
    rendered += endpoint.slice(last, ph.start) + encodeURIComponent(ex === undefined ? 'x' : typeof ex === 'string' ? ex : JSON.stringify(ex))
    last = ph.end
  }
  rendered += endpoint.slice(last)
  if (!isHttpUrl(rendered)) err('CONFIG_ENDPOINT_INVALID', 'rendered with the catalog examples it does not parse as an http(s) URL')
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== ''
  } catch {
    return false
  }
}

function tryDecode(value: string, what: string, onError: (args: unknown[]) => void): Buffer | undefined {
  try {
    return decodeBytes(value, what)
  } catch (e) {
    if (e instanceof CallbackRouterError) onError([what, e.message.includes('hex') ? 'hex' : 'base64'])
    return undefined
  }
}

/** Each diagnostic once, and none but CONFIG_ENV_MISSING where a missing variable left empty text. */
function dedupe(ds: Diagnostic[], missing: readonly MissingEnv[]): Diagnostic[] {
  const seen = new Set<string>()
  return ds.filter((d) => {
    if (d.code !== 'CONFIG_ENV_MISSING' && coveredByMissing(d.pointer, missing)) return false
    const k = `${d.level}|${d.code}|${d.pointer}|${d.message}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
