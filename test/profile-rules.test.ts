// The rule book: each profile rule is written once, so `validate` (checkProfile) and the
// daemon's compile refuse the same profiles with the same codes; and the hostile input
// DESIGN "Secrets and hostile input" refuses at load, tried as an attacker would.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { planNextAttempt } from '../core/render/retry-policy'
import { checkProfile } from '../core/config/profile-check'
import { compileProfile } from '../core/render/compile'
import { PluginRegistry } from '../core/plugin/registry'
import type { Profile } from '../core/generated/profile'
import { builtins } from '../plugins'
import type { Diagnostic } from '../core/diagnostics'

const registry = new PluginRegistry(builtins)
const FILE = '/cfg/profiles/p.json'
const base = { id: 'acme-sms', title: 'ACME SMS reports', account: 'acme', channel: 'sms', endpoint: 'https://hooks.acme.example/sms?id=<id>' }
const GOOD_SECRET = 'whsec_' + Buffer.alloc(24, 7).toString('base64')

function check(overrides: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, strict = false) {
  return checkProfile({ ...base, ...overrides }, FILE, registry, { env, strict })
}
function codes(ds: Diagnostic[]): string[] {
  return ds.map((d) => `${d.level}:${d.code}:${d.pointer}`)
}
function errors(overrides: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string[] {
  return codes(check(overrides, env).diagnostics.filter((d) => d.level === 'error'))
}
/** A test name that TAP can carry: code points, not the characters themselves. */
function show(value: string): string {
  return [...value].map((c) => `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`).join(' ')
}
function compileCode(p: Record<string, unknown>): string | undefined {
  try {
    compileProfile({ ...base, ...p } as Profile, registry)
    return undefined
  } catch (e) {
    return (e as { code?: string }).code
  }
}

t.test('validate and compile refuse the same request problems with the same code', async (t) => {
  const cases: Record<string, unknown>[] = [
    { method: 'GET', body: { a: '<id>' } },
    { format: 'xml' },
    { format: 'form', body: 'a=<id>' },
    { format: 'urlencoded', body: ['<id>'] },
    { format: 'urlencoded', body: { a: { b: '<id>' } } },
    { headers: { 'Content-Length': '1' } },
    { headers: { Expect: '100-continue' } },
    { format: 'form', headers: { 'content-type': 'text/plain' } },
    { headers: { 'X-Note': 'caf\u20ac' } },
    { endpoint: 'https://u:p@hooks.acme.example/sms' },
    { signing: { secret: 'whsec_AAAA' } },
    { encryption: { algorithm: 'aes-128-cfb', key: 'short', iv: 'random', parameters: ['to'] } },
    { channel: 'fax' },
  ]
  for (const c of cases) {
    const first = check(c).diagnostics.find((d) => d.level === 'error')
    t.ok(first, `validate refuses ${JSON.stringify(c)}`)
    t.equal(compileCode(c), first?.code, `compile refuses ${JSON.stringify(c)} with ${first?.code}`)
  }
  t.equal(compileCode({}), undefined, 'a valid profile compiles')
})

t.test('oauth2 auth.headers obey the reserved-header list, in any case', async (t) => {
  const oauth = (headers: Record<string, string>) => ({ auth: { type: 'oauth2', tokenUrl: 'https://auth.acme.example/token', clientId: 'router', clientSecret: 's', headers } })
  for (const name of ['Host', 'HOST', 'host', 'Content-Length', 'content-LENGTH', 'Transfer-Encoding', 'TRANSFER-ENCODING', 'Connection', 'Expect', 'eXpEcT', 'Keep-Alive', 'Upgrade', 'TE', 'Webhook-Id', 'WEBHOOK-SIGNATURE', 'webhook-anything']) {
    t.same(errors(oauth({ [name]: 'x' })), [`error:CONFIG_HEADER_RESERVED:/auth/headers/${name}`], name)
  }
  t.same(errors(oauth({ 'X-Tenant': 'acme' })), [], 'an ordinary header passes')
  t.same(errors(oauth({ 'Bad Name': 'x' })), ['error:CONFIG_HEADER_NAME:/auth/headers/Bad Name'])
  t.equal(compileCode(oauth({ Host: 'evil.example' })), 'CONFIG_HEADER_RESERVED', 'the daemon refuses it too')
})

t.test('Expect and every webhook-* name are reserved in headers, in any case', async (t) => {
  for (const name of ['Expect', 'EXPECT', 'expect', 'Webhook-Id', 'webhook-timestamp', 'Webhook-Signature', 'WEBHOOK-X-Custom', 'Transfer-Encoding', 'connection']) {
    t.same(errors({ headers: { [name]: 'x' } }), [`error:CONFIG_HEADER_RESERVED:/headers/${name}`], name)
  }
  t.same(errors({ headers: { 'X-Webhook-Id': 'x' } }), [], 'only the webhook- prefix is reserved')
})

t.test('signing secrets that decode to fewer than 24 bytes are refused, each of a rotation list', async (t) => {
  const secret = (bytes: number) => 'whsec_' + Buffer.alloc(bytes, 1).toString('base64')
  t.same(errors({ signing: { secret: 'whsec_A' } }), ['error:CONFIG_SIGNING_SECRET_SHORT:/signing/secret'], 'the example: 0 bytes')
  for (const s of ['whsec_AA', 'whsec_AAAA', 'whsec_AAAA==', secret(1), secret(16), secret(23)]) {
    t.same(errors({ signing: { secret: s } }), ['error:CONFIG_SIGNING_SECRET_SHORT:/signing/secret'], s)
  }
  t.same(errors({ signing: { secret: secret(24) } }), [], '24 bytes pass')
  t.same(errors({ signing: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } }), [], "the specification's example secret (24 bytes) passes")
  t.same(errors({ signing: { secret: [secret(32), secret(8)] } }), ['error:CONFIG_SIGNING_SECRET_SHORT:/signing/secret/1'], 'the new secret of a rotation')
  t.same(errors({ signing: { secret: [secret(3), secret(32)] } }), ['error:CONFIG_SIGNING_SECRET_SHORT:/signing/secret/0'], 'the old secret of a rotation')
  t.same(errors({ signing: { secret: ['whsec_====', secret(32)] } }), ['error:CONFIG_SIGNING_SECRET:/signing/secret/0'], 'padding alone is not base64')
  const fromEnv = check({ signing: { secret: '${env:WH}' } }, { WH: 'whsec_c2hvcnQ=' })
  t.same(codes(fromEnv.diagnostics), ['error:CONFIG_SIGNING_SECRET_SHORT:/signing/secret'], 'a short secret from the environment')
  t.notMatch(JSON.stringify(fromEnv.diagnostics), /c2hvcnQ/, 'the message does not show the secret')
  t.equal(compileCode({ signing: { secret: secret(10) } }), 'CONFIG_SIGNING_SECRET_SHORT')
  t.equal(compileCode({ signing: { secret: GOOD_SECRET } }), undefined)
})

t.test('header values outside visible Latin-1 are refused at load, in headers and auth.headers', async (t) => {
  const oauth = (headers: Record<string, string>) => ({ auth: { type: 'oauth2', tokenUrl: 'https://auth.acme.example/token', clientId: 'router', clientSecret: 's', headers } })
  for (const value of ['caf\u20ac', '\u{1F600}', 'a\u2028b', '\u0100', 'x\uFEFF', '\u4E2D\u6587']) {
    t.same(errors({ headers: { 'X-Note': value } }), ['error:CONFIG_HEADER_VALUE_CHARSET:/headers/X-Note'], show(value))
    t.same(errors(oauth({ 'X-Note': value })), ['error:CONFIG_HEADER_VALUE_CHARSET:/auth/headers/X-Note'], `auth.headers ${show(value)}`)
  }
  for (const value of ['a\u0085b', 'a\u009bb', 'a\u007fb', 'a\rb', 'a\nX-Evil: 1', '\u0000']) {
    t.same(errors({ headers: { 'X-Note': value } }), ['error:CONFIG_HEADER_VALUE:/headers/X-Note'], `control ${show(value)}`)
    t.same(errors(oauth({ 'X-Note': value })), ['error:CONFIG_HEADER_VALUE:/auth/headers/X-Note'], `auth.headers control ${show(value)}`)
  }
  for (const value of ['caf\u00e9', 'a\tb', '\u00a0\u00ff', 'plain <id>']) t.same(errors({ headers: { 'X-Note': value } }), [], `visible Latin-1 ${show(value)}`)
  const fromEnv = check({ headers: { 'X-Key': '${env:K}' } }, { K: 'sekret\u20acvalue' })
  t.same(codes(fromEnv.diagnostics), ['error:CONFIG_HEADER_VALUE_CHARSET:/headers/X-Key'], 'a value from the environment')
  t.notMatch(JSON.stringify(fromEnv.diagnostics), /sekret/, 'the message does not show the value')
})

t.test('endpoints and token URLs with user info are refused, in every spelling, pointing at auth.basic', async (t) => {
  const spellings = [
    'http://u:p@hooks.acme.example/cb',
    'http://u@hooks.acme.example/cb',
    'https://user:pa%40ss@hooks.acme.example/cb',
    'http://u%3Ap@hooks.acme.example/cb',
    'http://%75%73%65%72@hooks.acme.example/cb',
    'http://@hooks.acme.example/cb',
    'http://:@hooks.acme.example/cb',
    'HTTP://U:P@hooks.acme.example/cb',
    'http:\\\\u:p@hooks.acme.example/cb',
    'http:u:p@hooks.acme.example/cb',
    '  http://u:p@hooks.acme.example/cb',
    'http://u\t:p@hooks.acme.example/cb',
    'http://u:p@hooks.acme.example:8443/cb?id=<id>',
    'http://hooks.acme.example@127.0.0.1/cb',
  ]
  for (const endpoint of spellings) {
    const r = check({ endpoint })
    t.same(codes(r.diagnostics.filter((d) => d.level === 'error')), ['error:CONFIG_ENDPOINT_USERINFO:/endpoint'], endpoint.replace(/\s/g, '_'))
  }
  t.match(check({ endpoint: spellings[0] }).diagnostics[0].message, /auth\.basic/)
  t.same(errors({ endpoint: 'https://hooks.acme.example/a@b?c=d@e' }), [], "an '@' in the path or query is not user info")
  t.same(errors({ auth: { type: 'oauth2', tokenUrl: 'https://id:secret@auth.acme.example/token', clientId: 'router', clientSecret: 's' } }), ['error:CONFIG_ENDPOINT_USERINFO:/auth/tokenUrl'])
  const fromEnv = check({ endpoint: '${env:URL}' }, { URL: 'https://admin:hunter2@hooks.acme.example/cb' })
  t.same(codes(fromEnv.diagnostics), ['error:CONFIG_ENDPOINT_USERINFO:/endpoint'])
  t.notMatch(JSON.stringify(fromEnv.diagnostics), /hunter2/, 'the message does not show the password')
  t.equal(compileCode({ endpoint: 'http://u@hooks.acme.example/cb' }), 'CONFIG_ENDPOINT_USERINFO')
})

t.test('a fixed CFB IV gets a warning as a fixed GCM IV does; random gets none', async (t) => {
  const enc = (algorithm: string, iv: string) => ({ encryption: { algorithm, key: 'hex:' + '00'.repeat(16), iv, parameters: ['to'] } })
  t.same(codes(check(enc('aes-128-cfb', 'hex:' + '00'.repeat(16))).diagnostics), ['warning:CONFIG_CFB_FIXED_IV:/encryption/iv'])
  t.same(codes(check(enc('aes-128-cfb', 'base64:' + Buffer.alloc(16).toString('base64'))).diagnostics), ['warning:CONFIG_CFB_FIXED_IV:/encryption/iv'])
  t.same(codes(check(enc('aes-128-cfb', '0123456789abcdef')).diagnostics), ['warning:CONFIG_CFB_FIXED_IV:/encryption/iv'])
  t.same(codes(check(enc('aes-128-gcm', 'hex:' + '00'.repeat(12))).diagnostics), ['warning:CONFIG_GCM_FIXED_IV:/encryption/iv'])
  t.same(codes(check(enc('aes-128-cfb', 'random')).diagnostics), [])
  t.ok(check(enc('aes-128-cfb', 'hex:' + '00'.repeat(16))).profile, 'a warning does not refuse the profile')
})

t.test('event names are matched ignoring case and stored as the catalog spells them', async (t) => {
  const voice = check({ channel: 'voice', events: ['Voice'], endpoint: 'https://h.example/cb' })
  t.same(voice.diagnostics, [])
  t.same(voice.profile?.events, ['voice'])
  t.same(codes(voice.notes.filter((n) => n.pointer.startsWith('/events'))), ['note:CONFIG_FILLED_IN:/events/0'])
  t.same(check({ events: ['SMS-SEND'] }).profile?.events, ['sms-send'])
  t.same(check({ channel: 'whatsapp', events: ['Message_Status', 'message_status'], endpoint: 'https://h.example/cb' }).profile?.events, ['message_status'], 'two spellings of one event are one event')
  t.same(check({ channel: 'default', events: ['Message_Status', 'Order-Shipped'], endpoint: 'https://h.example/cb' }).profile?.events, ['message_status', 'order-shipped'], 'catch-all: any channel\u2019s name, others in lower case')
  t.same(errors({ channel: 'voice', events: ['Voicemail'], endpoint: 'https://h.example/cb' }), ['error:CONFIG_UNKNOWN_EVENT:/events/0'], 'an unknown name is still refused')
  t.same(check({ events: ['sms-send'] }).notes.filter((n) => n.pointer.startsWith('/events')), [], 'the catalog spelling needs no note')
})

t.test('channel may be left out: it is the default channel, said in a note', async (t) => {
  const { channel: _omitted, ...noChannel } = base
  const r = checkProfile({ ...noChannel, endpoint: 'https://h.example/cb' }, FILE, registry, { env: {} })
  t.same(r.diagnostics, [])
  t.equal(r.profile?.channel, 'default')
  t.match(codes(r.notes), ['note:CONFIG_FILLED_IN:/channel'])
  t.equal(compileProfile({ ...noChannel, endpoint: 'https://h.example/cb' } as Profile, registry).plugin.name, 'default', 'the compiler fills it too')
})

t.test('retry: files get the channel standard with notes; the console API (strict) refuses what its form refuses', async (t) => {
  for (const count of [1, 2, 3]) {
    const file = check({ retry: { count } })
    t.same(file.diagnostics, [], `file, count ${count}`)
    t.same(file.notes.map((n) => [n.pointer, n.message]), [
      ['/retry/intervalSeconds', "retry.intervalSeconds read as 10 (the sms channel's interval)"],
      ['/retry/timeoutMs', 'retry.timeoutMs read as 5000 (delivery.defaultTimeoutMs of the settings)'],
    ])
    t.same(codes(check({ retry: { count } }, {}, true).diagnostics), ['error:CONFIG_RETRY_FIELD_REQUIRED:/retry/intervalSeconds', 'error:CONFIG_RETRY_FIELD_REQUIRED:/retry/timeoutMs'], `console, count ${count}`)
  }
  t.same(codes(check({ retry: { count: 2, intervalSeconds: 5 } }, {}, true).diagnostics), ['error:CONFIG_RETRY_FIELD_REQUIRED:/retry/timeoutMs'])
  t.same(codes(check({ retry: { count: 2, timeoutMs: 900 } }, {}, true).diagnostics), ['error:CONFIG_RETRY_FIELD_REQUIRED:/retry/intervalSeconds'])
  t.same(check({ retry: { count: 2, intervalSeconds: 5, timeoutMs: 900 } }, {}, true).diagnostics, [])
  t.same(check({ retry: { count: 0 } }, {}, true).diagnostics, [], 'no retries: nothing to wait for')
  t.same(check({}, {}, true).diagnostics, [], "retry left out: the channel's standard, as the form's Standard choice")
  t.same(codes(check({ retry: { count: 9 } }, {}, true).diagnostics), ['error:CONFIG_RETRY_ABOVE_CAP:/retry/count'], 'one cause, one message above the cap')
  t.same(codes(check({}).notes), ['note:CONFIG_FILLED_IN:/retry'])
  t.match(check({}).notes[0].message, /3 retries, 10 s fixed, timeoutMs 5000/)
  t.same(check({ retry: { count: 2, intervalSeconds: 5, timeoutMs: 900 } }).notes, [])
  const settingsTimeout = checkProfile({ ...base, retry: { count: 1, intervalSeconds: 1 } }, FILE, registry, { env: {}, defaultTimeoutMs: 2500 })
  t.match(settingsTimeout.notes[0].message, /timeoutMs read as 2500/)
})

t.test("docs/profiles.md: the profile beside the page's default-channel table reproduces it (60, 120, 240 s)", async (t) => {
  const doc = readFileSync(join(__dirname, '..', 'docs', 'profiles.md'), 'utf8')
  const section = doc.slice(doc.indexOf("## The default channel's retry table"))
  const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1]
  t.ok(json, 'the section holds a profile')
  const r = checkProfile(JSON.parse(json!), FILE, registry, { env: {}, strict: true })
  t.same(r.diagnostics, [], 'it passes validate and the console API alike')
  t.equal(r.profile?.channel, 'default')
  const policy = registry.get('default')!.retry
  const delays: number[] = []
  for (let failed = 1; ; failed++) {
    const plan = planNextAttempt({ policy, retry: r.profile!.retry, failedAttempt: failed, maxRetryAfterSeconds: 3600 })
    if ('giveUp' in plan) break
    delays.push(plan.delayMs / 1000)
  }
  t.same(delays, [60, 120, 240], "the page's table")
})
