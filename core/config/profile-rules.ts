// The profile rule book: every rule a JSON Schema cannot say, written once. `checkProfile`
// runs all of them for `validate`, the loader and the console; `compileProfile` runs the
// request rules (the ones a request is built on) and refuses the profile on the first.
import type { Profile } from '../generated/profile'
import type { PluginRegistry } from '../plugin/registry'
import type { ChannelPlugin } from '../plugin/contract'
import type { VariableIndex } from '../plugin/catalog'
import { CallbackRouterError, type ConfigCode } from '../errors'
import { escapePointer } from './schema'
import { decodeBytes } from './env'
import { findPlaceholders } from './placeholders'
import { checkHeaders, checkAuth, checkUrl } from './request-rules'

/** A profile once its schema defaults are filled: what the daemon and the commands hold. */
export type CheckedProfile = Profile & Required<Pick<Profile, 'channel' | 'enabled' | 'method' | 'format' | 'headers'>>

export type Report = (level: 'error' | 'warning', code: ConfigCode, pointer: string, ...args: unknown[]) => void

/** Defaults the schema states, filled in so that consumers need not repeat them. */
export function withDefaults(p: Profile): CheckedProfile {
  return { ...p, channel: p.channel ?? 'default', enabled: p.enabled ?? true, method: p.method ?? 'POST', format: p.format ?? 'json', headers: p.headers ?? {} }
}

/**
 * Every rule, reported in document order. `catalog: false` leaves out the rules about
 * names (events, variables, the retry cap): a request can be built without them.
 */
export function profileRules(p: CheckedProfile, registry: PluginRegistry, report: Report, catalog = true): void {
  const plugin = registry.get(p.channel)
  if (!plugin) {
    report('error', 'CONFIG_UNKNOWN_CHANNEL', '/channel', p.channel, registry.names.join(', '))
    return
  }
  const index = registry.variableIndex(p.channel, p.events)
  const variable = catalog ? variableRule(plugin, index, report) : () => undefined
  const template = (t: string, pointer: string) => {
    for (const ph of findPlaceholders(t)) variable(ph.name, pointer)
  }
  if (catalog) catalogRules(p, plugin, registry, report)

  const formats = registry.formatNames()
  if (!formats.includes(p.format)) report('error', 'CONFIG_UNKNOWN_FORMAT', '/format', p.format, formats.join(', '))
  if (p.body !== undefined) {
    if (p.method === 'GET' || p.method === 'DELETE') report('error', 'CONFIG_BODY_NOT_ALLOWED', '/body', p.method)
    else checkBody(p, report, template)
  }
  template(p.endpoint, '/endpoint')
  checkUrl(p.endpoint, '/endpoint', report, index)
  checkHeaders(p.headers, '/headers', report, template)
  const headerNames = Object.keys(p.headers).map((h) => h.toLowerCase())
  if (p.format === 'form' && headerNames.includes('content-type')) report('error', 'CONFIG_HEADER_CONTENT_TYPE_FORM', '/headers')
  if (p.auth && headerNames.includes('authorization')) report('error', 'CONFIG_HEADER_AUTH_CONFLICT', '/headers')
  if (p.auth) checkAuth(p.auth, report)
  if (p.encryption) {
    checkEncryption(p.encryption, report)
    p.encryption.parameters.forEach((name, i) => variable(name, `/encryption/parameters/${i}`))
  }
  if (p.signing) checkSigning(p.signing.secret, report)
}

/** The first error of the request rules, as the error compiling throws. */
export function requestError(p: CheckedProfile, registry: PluginRegistry): CallbackRouterError | undefined {
  let first: CallbackRouterError | undefined
  profileRules(p, registry, (level, code, pointer, ...args) => {
    if (level === 'error' && !first) first = new CallbackRouterError(code, args, pointer)
  }, false)
  return first
}

/** Events and the retry cap: names the channel's catalog must know. */
function catalogRules(p: CheckedProfile, plugin: ChannelPlugin, registry: PluginRegistry, report: Report): void {
  p.events?.forEach((e, i) => {
    if (registry.eventSpec(p.channel, e) === undefined) {
      report('error', 'CONFIG_UNKNOWN_EVENT', `/events/${i}`, p.channel, e, registry.eventsOf(p.channel).join(', ') || 'any [a-z0-9_-]+')
    }
  })
  if (p.retry?.count !== undefined && p.retry.count > plugin.retry.maxRetries) {
    report('error', 'CONFIG_RETRY_ABOVE_CAP', '/retry/count', p.retry.count, p.channel, plugin.retry.maxRetries)
  }
}

/** A placeholder or parameter must name a catalog variable (a warning for catch-all channels). */
function variableRule(plugin: ChannelPlugin, index: VariableIndex, report: Report): (name: string, pointer: string) => void {
  return (name, pointer) => {
    if (index.has(name)) return
    if (plugin.catchAll) report('warning', 'CONFIG_UNKNOWN_VARIABLE_WARNING', pointer, name, index.suggestion(name))
    else report('error', 'CONFIG_UNKNOWN_VARIABLE', pointer, name, index.suggestion(name))
  }
}

function checkBody(p: CheckedProfile, report: Report, template: (t: string, pointer: string) => void): void {
  const body = p.body
  if (p.format === 'json') {
    if (typeof body === 'string') {
      template(body, '/body')
      // Every placeholder stands for a JSON value once filled: `0` is one, inside quotes or bare.
      try {
        JSON.parse(body.replace(/<([A-Za-z_][A-Za-z0-9_.[\]]*)>/g, '0'))
      } catch (e) {
        report('error', 'CONFIG_BODY_INVALID_JSON', '/body', (e as Error).message)
      }
      return
    }
    walkStrings(body, '/body', template)
    return
  }
  // urlencoded, form and plugin formats take flat fields.
  const shape = (pointer: string, message: string) => report('error', 'CONFIG_BODY_SHAPE', pointer, message)
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

function checkEncryption(enc: NonNullable<Profile['encryption']>, report: Report): void {
  const { algorithm, key, iv } = enc
  const keyBytes = Number(algorithm.split('-')[1]) / 8
  const gcm = algorithm.endsWith('gcm')
  const decoded = tryDecode(key, 'encryption.key', '/encryption/key', report)
  if (decoded && decoded.length !== keyBytes) report('error', 'CONFIG_KEY_LENGTH', '/encryption/key', algorithm, keyBytes, decoded.length)
  if (iv === 'random') return
  const ivBytes = tryDecode(iv, 'encryption.iv', '/encryption/iv', report)
  if (!ivBytes) return
  const fits = gcm ? ivBytes.length === 12 || ivBytes.length === 16 : ivBytes.length === 16
  if (!fits) report('error', 'CONFIG_IV_LENGTH', '/encryption/iv', algorithm, gcm ? '12-byte (or 16-byte)' : '16-byte', ivBytes.length)
  // GCM reuses its nonce; CFB encrypts equal values (and equal prefixes) to equal ciphertexts.
  if (gcm) report('warning', 'CONFIG_GCM_FIXED_IV', '/encryption/iv')
  else if (fits) report('warning', 'CONFIG_CFB_FIXED_IV', '/encryption/iv')
}

/** HMAC keys shorter than SHA-256's half are guessable; 24 bytes is the Standard Webhooks example's size. */
export const MIN_SIGNING_SECRET_BYTES = 24
const WHSEC = /^whsec_([A-Za-z0-9+/]+={0,2})$/

function checkSigning(secret: string | string[], report: Report): void {
  const list = Array.isArray(secret) ? secret : [secret]
  list.forEach((s, i) => {
    const pointer = Array.isArray(secret) ? `/signing/secret/${i}` : '/signing/secret'
    const m = WHSEC.exec(s)
    if (!m) report('error', 'CONFIG_SIGNING_SECRET', pointer)
    else {
      const bytes = Buffer.from(m[1], 'base64').length
      if (bytes < MIN_SIGNING_SECRET_BYTES) report('error', 'CONFIG_SIGNING_SECRET_SHORT', pointer, MIN_SIGNING_SECRET_BYTES, bytes)
    }
  })
}

function tryDecode(value: string, what: string, pointer: string, report: Report): Buffer | undefined {
  try {
    return decodeBytes(value, what)
  } catch (e) {
    if (e instanceof CallbackRouterError) report('error', 'CONFIG_BAD_ENCODING', pointer, what, e.message.includes('hex') ? 'hex' : 'base64')
    return undefined
  }
}
