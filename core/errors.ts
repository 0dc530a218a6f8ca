// Every error a user can meet, by area, with a stable code. Tests assert on codes,
// never on message text; `validate`, logs, dead letters and the console share them.
import { redact } from './redact'

export interface ErrorSpec {
  readonly message: string
}

function catalogue<T extends Record<string, string>>(entries: T): { [K in keyof T]: ErrorSpec } {
  const out = {} as { [K in keyof T]: ErrorSpec }
  for (const key of Object.keys(entries) as (keyof T)[]) out[key] = { message: entries[key] }
  return out
}

/** Configuration: settings, profiles, plugins. Reported as `file:/pointer: message`. */
export const CONFIG = catalogue({
  CONFIG_FILE_UNREADABLE: 'cannot read the file: %s',
  CONFIG_INVALID_JSON: 'not valid JSON: %s',
  CONFIG_SCHEMA: '%s',
  CONFIG_TITLE_INVALID: 'title must be 3 to 100 letters, digits, spaces, hyphens or underscores',
  CONFIG_DUPLICATE_ID: 'profile id "%s" is already used by %s',
  CONFIG_UNKNOWN_CHANNEL: 'unknown channel "%s" (known: %s)',
  CONFIG_UNKNOWN_EVENT: 'channel "%s" has no event "%s" (events: %s)',
  CONFIG_RETRY_ABOVE_CAP: 'retry.count %s is above the %s channel\'s cap of %s',
  CONFIG_BODY_NOT_ALLOWED: '%s carries variables in the endpoint\'s query string only: remove the body',
  CONFIG_BODY_SHAPE: '%s',
  CONFIG_BODY_INVALID_JSON: 'the body string is not valid JSON once placeholders are filled: %s',
  CONFIG_UNKNOWN_VARIABLE: 'unknown variable <%s>%s',
  CONFIG_PLACEHOLDER_IN_ORIGIN: 'placeholders may stand only in the endpoint\'s path and query, not in its scheme, host or port',
  CONFIG_ENDPOINT_INVALID: 'the endpoint is not a valid http or https URL: %s',
  CONFIG_ENDPOINT_USERINFO: 'the URL holds user info (user:password@): it would not be sent as credentials; use auth.basic (auth.clientAuth "basic" for a token URL)',
  CONFIG_ENV_MISSING: 'environment variable %s is not set',
  CONFIG_HEADER_NAME: 'header name "%s" is not an HTTP token',
  CONFIG_HEADER_VALUE: 'header "%s" holds a control character (CR, LF or other): header injection is refused',
  CONFIG_HEADER_VALUE_CHARSET: 'header "%s" holds a character outside visible Latin-1 (%s): HTTP cannot carry it as written',
  CONFIG_HEADER_RESERVED: 'header "%s" is set by the daemon or changes the framing (Host, Content-Length, Transfer-Encoding, Connection, Expect, webhook-*) and cannot be configured',
  CONFIG_HEADER_CONTENT_TYPE_FORM: 'a Content-Type header cannot be set with the form format: the multipart boundary belongs to the body',
  CONFIG_HEADER_AUTH_CONFLICT: 'an Authorization header cannot be combined with auth',
  CONFIG_UNKNOWN_FORMAT: 'unknown format "%s" (known: %s)',
  CONFIG_KEY_LENGTH: '%s needs a %s-byte key, got %s bytes',
  CONFIG_IV_LENGTH: '%s needs a %s IV, got %s bytes',
  CONFIG_BAD_ENCODING: '%s is not valid %s',
  CONFIG_GCM_FIXED_IV: 'a fixed IV with GCM reuses the nonce for every value: use "random"',
  CONFIG_CFB_FIXED_IV: 'a fixed IV with CFB encrypts equal values to equal ciphertexts: use "random"',
  CONFIG_BASIC_USERNAME: 'a basic-auth username cannot contain ":"',
  CONFIG_UNKNOWN_VARIABLE_WARNING: 'unknown variable <%s>%s (a default profile may receive any channel\'s events)',
  CONFIG_PLUGIN_INVALID: 'plugin %s is malformed: %s',
  CONFIG_PLUGIN_LOAD: 'cannot load plugin %s: %s',
  CONFIG_PLUGIN_DUPLICATE: 'plugin %s: the channel name "%s" is already taken',
  CONFIG_PROFILES_DIR: 'cannot read profilesDir %s: %s',
  CONFIG_SIGNING_SECRET: 'a signing secret must be whsec_ followed by base64',
  CONFIG_SIGNING_SECRET_SHORT: 'a signing secret must decode to at least %s bytes, this one has %s: a short key lets anyone sign',
  CONFIG_RETRY_FIELD_REQUIRED: 'retry.%s is required when retry.count is above 0',
  CONFIG_CHANNEL_LOCKED: 'profile "%s" was on channel "%s": a profile is locked to its channel; create a new profile for "%s"',
  CONFIG_FILLED_IN: '%s read as %s (%s)',
  CONFIG_NOT_AN_OBJECT: 'a profile file must hold one JSON object',
  CONFIG_KV_KEY_MISMATCH: 'the value under key "%s" has id "%s": the key must be the profile id',
  CONFIG_KV_UNREACHABLE: 'cannot read the profile store %s: %s',
  CONFIG_KV_CONFLICT: 'profile "%s" changed in the store since it was read (revision %s): read it again',
})

/** Routing of an event to profiles. These codes are the dead-letter reasons of DESIGN. */
export const ROUTING = catalogue({
  invalid_json: 'the event is not UTF-8 JSON: %s',
  invalid_envelope: 'the envelope does not match event.schema.json: %s',
  unknown_channel: 'no plugin handles channel "%s"',
  unknown_event: 'channel "%s" has no event "%s"',
  invalid_payload: 'data does not match the %s payload schema: %s',
  payload_too_large: 'the event is %s bytes, above the limit of %s',
  no_profile: 'no enabled profile of account "%s" subscribes to %s',
  profile_not_found: 'profile "%s" does not exist',
  account_mismatch: 'profile "%s" belongs to another account',
  profile_disabled: 'profile "%s" is disabled',
  event_not_subscribed: 'profile "%s" does not subscribe to %s',
})

/** Delivery outcomes that end in a dead letter. */
export const DELIVERY = catalogue({
  retries_exhausted: 'every attempt failed; last: %s',
  address_refused: 'the network policy refused %s',
  render_failed: 'the request could not be rendered: %s',
  profile_removed: 'profile "%s" was removed or disabled while a retry waited',
})

/** The publisher client (callback-router/client): refused before anything reaches NATS. */
export const PUBLISH = catalogue({
  PUBLISH_UNKNOWN_CHANNEL: 'unknown channel "%s" (known: %s)',
  PUBLISH_UNKNOWN_EVENT: 'channel "%s" has no event "%s" (events: %s)',
  PUBLISH_INVALID_ID: 'id "%s" must match ^[A-Za-z0-9_-]{1,128}$ (it is the idempotency key and the Nats-Msg-Id)',
  PUBLISH_INVALID_ENVELOPE: 'the envelope is invalid: %s',
  PUBLISH_INVALID_PAYLOAD: 'data does not match the %s payload schema: %s',
  PUBLISH_TOO_LARGE: 'the event is %s bytes, above the limit of %s',
})

/** The plugin kit (`plugin new`, `plugin check`). */
export const PLUGIN_KIT = catalogue({
  PLUGIN_NAME_INVALID: 'plugin name "%s" cannot be a subject token: use [a-z0-9_-]+',
  PLUGIN_NAME_TAKEN: '"%s" is a built-in channel: choose another name',
  PLUGIN_DIR_NOT_EMPTY: '%s exists and is not empty',
  PLUGIN_NOT_CONFORMING: 'plugin %s fails %s conformance check(s)',
})

/**
 * Handling: the daemon's own failures. A message (event, job, retry) that the daemon fails
 * to handle this many times (an exception, not a delivery failure) becomes a dead letter.
 */
export const HANDLING = catalogue({
  internal_error: 'the daemon failed to handle the message %s times; last error: %s',
})

/** Operations on dead letters (CLI and console). */
export const DEAD_LETTER_OPS = catalogue({
  DEAD_LETTER_NOT_REPLAYABLE: 'dead letter %s cannot be replayed: %s',
})

export type ConfigCode = keyof typeof CONFIG
export type RoutingCode = keyof typeof ROUTING
export type DeliveryCode = keyof typeof DELIVERY
export type HandlingCode = keyof typeof HANDLING
export type DeadLetterOpCode = keyof typeof DEAD_LETTER_OPS
/** The dead-letter reason codes of DESIGN. */
export type DeadLetterReason = RoutingCode | DeliveryCode | HandlingCode
export type PublishCode = keyof typeof PUBLISH
export type PluginKitCode = keyof typeof PLUGIN_KIT
export type ErrorCode = ConfigCode | RoutingCode | DeliveryCode | PublishCode | PluginKitCode | HandlingCode | DeadLetterOpCode

const ALL: Record<string, ErrorSpec> = { ...CONFIG, ...ROUTING, ...DELIVERY, ...PUBLISH, ...PLUGIN_KIT, ...HANDLING, ...DEAD_LETTER_OPS }

/** Fills the %s placeholders of a code's message in order. */
export function formatMessage(code: ErrorCode, ...args: unknown[]): string {
  let i = 0
  return ALL[code].message.replace(/%s/g, () => String(args[i++] ?? ''))
}

/** An error with a stable code; `where` says where (file:pointer, profile id, event id). */
export class CallbackRouterError extends Error {
  readonly code: ErrorCode
  readonly where: string | undefined
  constructor(code: ErrorCode, args: unknown[] = [], where?: string) {
    // The message may quote a value of the profile: an `${env:…}` value shows as its reference.
    super(redact(formatMessage(code, ...args)))
    this.code = code
    this.where = where
    this.name = 'CallbackRouterError'
  }
}

export function isDeadLetterReason(code: string): code is DeadLetterReason {
  return code in ROUTING || code in DELIVERY || code in HANDLING
}
