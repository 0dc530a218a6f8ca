// One error vocabulary (issue 15): every code sits once in core/errors.ts with its message,
// the console's codes carry their HTTP status, the codes a command stops with carry an exit
// code, attempt failure reasons are catalogued, and no Error class elsewhere in core/
// carries a code of its own.
import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { AREAS, ATTEMPT, CallbackRouterError, CONSOLE, attemptCode, attemptError, errorClass, errorSpec, formatMessage, isDeadLetterReason, type ErrorCode } from '../core/errors'
import { reasonOf } from '../core/delivery/http-attempt'

const ROOT = join(__dirname, '..')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? (name === 'generated' ? [] : files(p)) : p.endsWith('.ts') ? [p] : []
  })
}

t.test('each code is in one area, except address_refused: a dead-letter reason and an attempt reason alike', async (t) => {
  const seen = new Map<string, string>()
  for (const [area, entries] of Object.entries(AREAS)) {
    for (const [code, spec] of Object.entries(entries)) {
      if (seen.has(code)) t.equal(code, 'address_refused', `${code} is in ${seen.get(code)} and ${area}`)
      seen.set(code, area)
      t.ok(spec.message.length > 0, `${code} has a message`)
    }
  }
  // DESIGN's dead-letter reasons, each catalogued.
  for (const reason of ['invalid_json', 'invalid_envelope', 'unknown_channel', 'unknown_event', 'invalid_payload', 'payload_too_large', 'no_profile', 'profile_not_found', 'account_mismatch', 'profile_disabled', 'event_not_subscribed', 'retries_exhausted', 'address_refused', 'render_failed', 'profile_removed']) {
    t.ok(isDeadLetterReason(reason), reason)
  }
})

t.test('the console answers every one of its codes with a status, the CLI stops with an exit code', async (t) => {
  for (const [code, spec] of Object.entries(CONSOLE)) {
    if (code === 'CONSOLE_TOKEN_MISSING' || code === 'CONSOLE_TOKEN_SHORT') t.equal(spec.exit, 1, `${code} stops start`)
    else t.ok(spec.status && spec.status >= 400 && spec.status <= 599, `${code} → ${spec.status}`)
  }
  for (const code of ['CONFIG_SCHEMA', 'DAEMON_CONFIG', 'EMBEDDED_NATS_NOT_FOUND', 'NATS_NO_JETSTREAM', 'CLI_NOT_FOUND'] as ErrorCode[]) t.equal(errorSpec(code).exit, 1, code)
  t.equal(errorSpec('CLI_USAGE').exit, 2)
  t.equal(errorSpec('CONFIG_UNKNOWN_EVENT').status, 422, 'a profile with errors is a 422 in the console')
  const e = new CallbackRouterError('CONSOLE_PROFILE_NOT_FOUND', ['acme'])
  t.equal(e.status, 404)
  t.equal(e.message, formatMessage('CONSOLE_PROFILE_NOT_FOUND', 'acme'))
  t.equal(new CallbackRouterError('DAEMON_CONFIG', ['x']).exitCode, 1)
  const Named = errorClass('JOB_HEADERS')
  const named = new Named('a job without headers')
  t.ok(named instanceof CallbackRouterError)
  t.match(named, { code: 'JOB_HEADERS', message: 'a job without headers' })
  t.ok(isDeadLetterReason('retries_exhausted'))
  t.notOk(isDeadLetterReason('CONSOLE_NOT_FOUND'))
})

t.test('attempt failure reasons are catalogue codes, with their detail after the code', async (t) => {
  t.equal(attemptError('status', 503), 'status 503')
  t.equal(attemptError('address_refused'), 'address_refused')
  t.equal(attemptError('token', attemptError('timeout')), 'token timeout')
  for (const [text, code] of [
    ['status 503', 'status'],
    ['timeout', 'timeout'],
    ['tls CERT_HAS_EXPIRED', 'tls'],
    ['token status 500', 'token'],
    ['ECONNABORTED', 'transport'],
    ['address_refused', 'address_refused'],
  ] as const) {
    t.equal(attemptCode(text), code, text)
  }
  // What the HTTP exchange reports is always one of them.
  const errors: unknown[] = [
    Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('x'), { code: 'ECONNRESET' }),
    Object.assign(new Error('x'), { code: 'ENOTFOUND' }),
    Object.assign(new Error('x'), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
    Object.assign(new Error('x'), { code: 'EHOSTUNREACH' }),
    Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
    Object.assign(new Error('x'), { name: 'TimeoutError' }),
    new CallbackRouterError('address_refused', ['127.0.0.1']),
    new Error('something else'),
  ]
  for (const err of errors) {
    const { error } = reasonOf(err)
    t.ok(attemptCode(error) in ATTEMPT, `${error} → ${attemptCode(error)}`)
  }
})

t.test('no Error class in core/ carries a code outside the catalogue', async (t) => {
  const offenders: string[] = []
  for (const file of files(join(ROOT, 'core'))) {
    if (file.endsWith(join('core', 'errors.ts'))) continue
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/class (\w+) extends Error \{[\s\S]*?\n\}/g)) {
      if (/\bcode\b/.test(m[0])) offenders.push(`${relative(ROOT, file)}: ${m[1]}`)
    }
  }
  t.same(offenders, [])
  const console = readFileSync(join(ROOT, 'core', 'console', 'handler.ts'), 'utf8')
  t.notMatch(console, /HttpError/, 'the console has no error class of its own')
})
