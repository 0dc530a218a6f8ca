// Every error the project raises or reports, by area, each with a stable code, a message
// with %s placeholders, and where it has one the console's HTTP status and the CLI's exit
// code (fastify's lib/errors.js is the model). Tests assert on codes, never on message
// text; `validate`, logs, dead letters, the attempt log, the CLI and the console share
// them. Its one import (redact) is import-free too: the console's browser bundle reads the
// dead-letter reasons here.
import { redact } from './redact'

export interface ErrorSpec {
  readonly message: string
  /** The console API's HTTP status when it answers with this error. */
  readonly status?: number
  /** The CLI's exit code when a command stops with this error (DESIGN "CLI": 1 failure, 2 usage). */
  readonly exit?: number
}

/** An entry: its message, or its message with a status and exit code of its own. */
type Entry = string | ErrorSpec

function catalogue<T extends Record<string, Entry>>(entries: T, defaults: Omit<ErrorSpec, 'message'> = {}): { [K in keyof T]: ErrorSpec } {
  const out = {} as { [K in keyof T]: ErrorSpec }
  for (const key of Object.keys(entries) as (keyof T)[]) {
    const e: Entry = entries[key]
    out[key] = typeof e === 'string' ? { message: e, ...defaults } : { ...defaults, ...e }
  }
  return out
}

/** Configuration: settings, profiles, plugins. Reported as `file:/pointer: message`. */
export const CONFIG = catalogue(
  {
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
    // A save of a stale revision: the console's 409, as DESIGN says.
    CONFIG_KV_CONFLICT: { message: 'profile "%s" changed in the store since it was read (revision %s): read it again', status: 409 },
  },
  // The console answers a profile with errors 422 (with every diagnostic); `validate` exits 1.
  { status: 422, exit: 1 },
)

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
  held_expired: 'held more than %s hours while profile "%s" was %s',
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

/**
 * Why one delivery attempt failed: the `error` of the attempt log, `attempts --json`, the
 * Test button and `retries_exhausted` details. The text is the code, then its detail
 * (`status 503`, `tls CERT_HAS_EXPIRED`, `token timeout`).
 */
export const ATTEMPT = catalogue({
  status: 'status %s',
  timeout: 'timeout',
  reset: 'reset',
  refused: 'refused',
  dns: 'dns',
  unreachable: 'unreachable',
  tls: 'tls %s',
  address_refused: 'address_refused',
  /** The OAuth2 token request failed: `token ` and that request's own reason. */
  token: 'token %s',
  /** Any other transport error: its code or (cut) message. */
  transport: '%s',
})

/** The web console (its JSON API answers `{ error, code }` with the status). */
export const CONSOLE = catalogue({
  CONSOLE_TOKEN_MISSING: { message: 'the console is enabled but %s is not set: set it to a long random secret (e.g. `openssl rand -hex 32`), or set console.enabled to false', exit: 1 },
  CONSOLE_TOKEN_SHORT: { message: '%s is %s characters long: the console needs at least %s (e.g. `openssl rand -hex 32`)', exit: 1 },
  CONSOLE_UNAUTHORIZED: { message: 'sign in first: send the console token as Authorization: Bearer, or use the sign-in page', status: 401 },
  CONSOLE_TOO_MANY_FAILURES: { message: 'too many wrong tokens from this address: wait a second', status: 429 },
  CONSOLE_CROSS_ORIGIN: { message: 'cross-origin request refused', status: 403 },
  CONSOLE_NOT_FOUND: { message: 'not found', status: 404 },
  CONSOLE_NOT_BUILT: { message: 'the console is not built (%s): run npm run build', status: 404 },
  CONSOLE_NO_ROUTE: { message: 'no API %s %s', status: 404 },
  CONSOLE_METHOD_NOT_ALLOWED: { message: 'method %s not allowed here', status: 405 },
  CONSOLE_BODY_TOO_LARGE: { message: 'request body above %s bytes', status: 413 },
  CONSOLE_CONTENT_TYPE: { message: 'send application/json', status: 415 },
  CONSOLE_INVALID_JSON: { message: 'invalid JSON: %s', status: 400 },
  CONSOLE_BAD_ESCAPE: { message: 'the path holds a malformed %-escape: %s', status: 400 },
  CONSOLE_BAD_REQUEST: { message: '%s', status: 400 },
  CONSOLE_UNKNOWN_CHANNEL: { message: 'unknown channel "%s"', status: 404 },
  CONSOLE_UNKNOWN_FORMAT: { message: 'unknown format "%s"', status: 400 },
  CONSOLE_PROFILE_NOT_FOUND: { message: 'no profile "%s"', status: 404 },
  CONSOLE_PROFILE_STALE: { message: 'someone else changed profile "%s" since you opened it: the store is at revision %s, you edited revision %s; reload it to see their change, then make yours again', status: 409 },
  CONSOLE_PROFILE_INVALID: { message: 'the profile has errors', status: 422 },
  CONSOLE_DEAD_LETTER_NOT_FOUND: { message: 'no dead letter "%s"', status: 404 },
  CONSOLE_NO_NATS: { message: '%s are not available: the daemon has no NATS connection', status: 503 },
  CONSOLE_INTERNAL: { message: 'the console failed on this request (the daemon logged why)', status: 500 },
})

/** The daemon and the nats-server it may start. A command that meets one exits 1. */
export const DAEMON = catalogue(
  {
    DAEMON_CONFIG: 'the configuration has errors:\n%s',
    EMBEDDED_NATS_NOT_FOUND: 'nats-server not found: install it with apt-get install -y nats-server, or run ./scripts/setup.sh',
    EMBEDDED_NATS_URL: 'not a NATS URL: %s',
    EMBEDDED_NATS_FAILED: '%s',
  },
  { exit: 1 },
)

/** NATS and JetStream: connections, streams, the job and dead-letter messages. */
export const NATS = catalogue({
  NATS_NO_JETSTREAM: { message: 'NATS at %s has no JetStream (%s): start nats-server with -js, or add "jetstream {}" to its configuration', exit: 1 },
  JOB_HEADERS: '%s',
  NATS_KV_STREAM_REPLACED: 'the stream %s of a watched bucket was replaced (created %s, now %s): the watch starts again from its content',
})

/** The command line, beyond the areas above. */
export const CLI = catalogue({
  CLI_USAGE: { message: '%s', exit: 2 },
  CLI_NOT_FOUND: { message: '%s', exit: 1 },
})

/** The codes of one area: `CodeOf<typeof CONFIG>`. */
type CodeOf<Area> = keyof Area & string
export type ConfigCode = CodeOf<typeof CONFIG>
export type RoutingCode = CodeOf<typeof ROUTING>
export type DeliveryCode = CodeOf<typeof DELIVERY>
export type PublishCode = CodeOf<typeof PUBLISH>
export type PluginKitCode = CodeOf<typeof PLUGIN_KIT>
export type AttemptCode = CodeOf<typeof ATTEMPT>
/** The dead-letter reason codes of DESIGN. */
export type DeadLetterReason = RoutingCode | DeliveryCode | CodeOf<typeof HANDLING>
/** Every code of the catalogue. */
export type ErrorCode = { [A in keyof typeof AREAS]: CodeOf<(typeof AREAS)[A]> }[keyof typeof AREAS]

/** The whole catalogue by area, for listings and the test that keeps codes unique. */
export const AREAS = { CONFIG, ROUTING, DELIVERY, PUBLISH, PLUGIN_KIT, HANDLING, DEAD_LETTER_OPS, ATTEMPT, CONSOLE, DAEMON, NATS, CLI } as const

// `address_refused` is both a dead-letter reason and an attempt reason, with the same meaning.
const ALL: Record<string, ErrorSpec> = { ...ATTEMPT, ...CONFIG, ...ROUTING, ...DELIVERY, ...PUBLISH, ...PLUGIN_KIT, ...HANDLING, ...DEAD_LETTER_OPS, ...CONSOLE, ...DAEMON, ...NATS, ...CLI }

export function errorSpec(code: ErrorCode): ErrorSpec {
  return ALL[code]
}

/** Fills the %s placeholders of a code's message in order. */
export function formatMessage(code: ErrorCode, ...args: unknown[]): string {
  let i = 0
  return ALL[code].message.replace(/%s/g, () => String(args[i++] ?? ''))
}

/** An error with a stable code; `where` says where (file:pointer, profile id, event id). */
export class CallbackRouterError extends Error {
  readonly code: ErrorCode
  readonly where: string | undefined
  /** More for the console's JSON answer (e.g. `diagnostics` of a profile with errors). */
  readonly details: Readonly<Record<string, unknown>> | undefined
  constructor(code: ErrorCode, args: unknown[] = [], where?: string, details?: Record<string, unknown>) {
    // The message may quote a value of the profile: an `${env:…}` value shows as its reference.
    super(redact(formatMessage(code, ...args)))
    this.code = code
    this.where = where
    this.details = details
    this.name = 'CallbackRouterError'
  }

  /** The console's HTTP status for it, if it has one. */
  get status(): number | undefined {
    return ALL[this.code].status
  }

  /** The CLI's exit code for it, if it has one. */
  get exitCode(): number | undefined {
    return ALL[this.code].exit
  }
}

/**
 * fastify's `createError`: a class for one code, `new JobHeaderError('a job without
 * headers')` filling its placeholders, for the modules that export one by name.
 */
export function errorClass(code: ErrorCode): new (...args: unknown[]) => CallbackRouterError {
  return class extends CallbackRouterError {
    constructor(...args: unknown[]) {
      super(code, args)
    }
  }
}

export function isDeadLetterReason(code: string): code is DeadLetterReason {
  return code in ROUTING || code in DELIVERY || code in HANDLING
}

/** The catalogued code of an attempt's `error` text (`status 503` → `status`). */
export function attemptCode(error: string): AttemptCode {
  const head = error.split(' ', 1)[0]
  return head in ATTEMPT && head !== 'transport' ? (head as AttemptCode) : 'transport'
}

/** An attempt's `error` text from its code and detail. */
export function attemptError(code: AttemptCode, ...args: unknown[]): string {
  let i = 0
  return ATTEMPT[code].message.replace(/%s/g, () => String(args[i++] ?? ''))
}
