import t from 'tap'
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { loadConfig } from '../core/config/settings'
import { checkProfile } from '../core/config/profile-check'
import { PluginRegistry } from '../core/plugin/registry'
import { builtins } from '../plugins'
import { formatDiagnostic, type Diagnostic } from '../core/diagnostics'
import { cliArgs } from './helpers/cli'

const registry = new PluginRegistry(builtins)
const FILE = '/cfg/profiles/p.json'
const base = {
  id: 'acme-sms',
  title: 'ACME SMS reports',
  account: 'acme',
  channel: 'sms',
  method: 'POST',
  endpoint: 'https://hooks.acme.example/sms?id=<id>',
  body: { id: '<id>', status: '<status>' },
}
const env = { ACME_KEY: '0123456789abcdef0123456789abcdef', WHSEC: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }

function check(overrides: Record<string, unknown>, e: NodeJS.ProcessEnv = env): Diagnostic[] {
  return checkProfile({ ...base, ...overrides }, FILE, registry, { env: e }).diagnostics
}
function codes(ds: Diagnostic[]): string[] {
  return ds.map((d) => `${d.level}:${d.code}:${d.pointer}`)
}

t.test('a valid profile has no diagnostics and gets its defaults filled', async (t) => {
  const r = checkProfile(base, FILE, registry, { env })
  t.same(r.diagnostics, [])
  t.equal(r.profile?.enabled, true)
  t.equal(r.profile?.format, 'json')
})

t.test('schema errors are all collected, each with its JSON pointer', async (t) => {
  const ds = check({ method: 'FETCH', colour: 'red', retry: { count: -1, timeoutMs: 999999 } })
  t.same(codes(ds).sort(), [
    'error:CONFIG_SCHEMA:/colour',
    'error:CONFIG_SCHEMA:/method',
    'error:CONFIG_SCHEMA:/retry/count',
    'error:CONFIG_SCHEMA:/retry/timeoutMs',
  ])
})

t.test('the title rule: letters, digits, spaces, hyphens, underscores, 3 to 100 characters', async (t) => {
  t.same(codes(check({ title: 'ab' })), ['error:CONFIG_TITLE_INVALID:/title'])
  t.same(codes(check({ title: 'ACME: reports!' })), ['error:CONFIG_TITLE_INVALID:/title'])
  t.same(codes(check({ title: 'x'.repeat(101) })), ['error:CONFIG_TITLE_INVALID:/title'])
  t.same(check({ title: 'ACME_SMS - reports 2' }), [])
})

t.test('events the channel does not offer are refused', async (t) => {
  t.same(codes(check({ events: ['sms-send', 'message_status'] })), ['error:CONFIG_UNKNOWN_EVENT:/events/1'])
})

t.test('an unknown channel is refused, naming the known ones', async (t) => {
  const ds = check({ channel: 'telegraph' })
  t.same(codes(ds), ['error:CONFIG_UNKNOWN_CHANNEL:/channel'])
  t.match(ds[0].message, /sms, email, voice, whatsapp, default/)
})

t.test('retry.count above the channel cap is refused', async (t) => {
  t.same(codes(check({ retry: { count: 4 } })), ['error:CONFIG_RETRY_ABOVE_CAP:/retry/count'])
  t.same(check({ retry: { count: 3 } }), [], 'sms allows 3')
  t.same(check({ channel: 'whatsapp', events: ['message_status'], body: { id: '<id>' }, endpoint: 'https://h.example/', retry: { count: 4 } }), [])
})

t.test('GET and DELETE refuse a body', async (t) => {
  t.same(codes(check({ method: 'GET' })), ['error:CONFIG_BODY_NOT_ALLOWED:/body'])
  t.same(codes(check({ method: 'DELETE' })), ['error:CONFIG_BODY_NOT_ALLOWED:/body'])
  t.same(check({ method: 'GET', body: undefined }), [])
})

t.test('an unknown placeholder names the closest variable', async (t) => {
  const ds = check({ body: { s: '<stauts>' }, endpoint: 'https://h.example/x?t=<too>', headers: { 'X-Ref': '<reff>' } })
  t.same(codes(ds), ['error:CONFIG_UNKNOWN_VARIABLE:/body/s', 'error:CONFIG_UNKNOWN_VARIABLE:/endpoint', 'error:CONFIG_UNKNOWN_VARIABLE:/headers/X-Ref'])
  t.match(ds[0].message, 'did you mean <status>?')
  t.match(ds[1].message, 'did you mean <to>?')
})

t.test('nested, indexed and envelope variables are known', async (t) => {
  t.same(check({ body: { c: '<error.code>', e: '<error>', ev: '<_event.id>', p: '<_event.profile>' } }), [])
  const wa = { channel: 'whatsapp', events: ['incoming_message'], endpoint: 'https://h.example/' }
  t.same(check({ ...wa, body: { n: '<contacts[0].name>', l: '<location.latitude>' } }), [])
})

t.test('an unknown placeholder is only a warning on a default profile', async (t) => {
  const ds = check({ channel: 'default', body: { x: '<whatever_field>' } })
  t.same(codes(ds), ['warning:CONFIG_UNKNOWN_VARIABLE_WARNING:/body/x'])
})

t.test('placeholders in the scheme, host or port are refused', async (t) => {
  for (const endpoint of ['https://<to>.example/x', 'https://h.example:<units>/x', '<ref>://h.example/', 'https://h<to>/']) {
    t.same(codes(check({ endpoint })), ['error:CONFIG_PLACEHOLDER_IN_ORIGIN:/endpoint'], endpoint)
  }
  t.same(check({ endpoint: 'https://h.example/<to>/x?s=<status>#<ref>' }), [])
})

t.test('an endpoint that does not parse as http(s) is refused', async (t) => {
  t.same(codes(check({ endpoint: 'ftp://h.example/x' })), ['error:CONFIG_ENDPOINT_INVALID:/endpoint'])
  t.same(codes(check({ endpoint: 'not a url' })), ['error:CONFIG_ENDPOINT_INVALID:/endpoint'])
})

t.test('a ${env:NAME} that is not set is an error at its pointer', async (t) => {
  t.same(codes(check({ headers: { 'X-Api-Key': '${env:NOPE_NOT_SET}' } }, {})), ['error:CONFIG_ENV_MISSING:/headers/X-Api-Key'])
  const r = checkProfile({ ...base, headers: { 'X-Api-Key': 'k-${env:ACME_KEY}' } }, FILE, registry, { env })
  t.equal(r.profile?.headers?.['X-Api-Key'], `k-${env.ACME_KEY}`)
})

t.test('header names must be tokens, values free of CR/LF, and framing headers are the daemon\'s', async (t) => {
  t.same(codes(check({ headers: { 'Bad Header': 'x' } })), ['error:CONFIG_HEADER_NAME:/headers/Bad Header'])
  t.same(codes(check({ headers: { 'X-A': 'a\r\nX-Injected: 1' } })), ['error:CONFIG_HEADER_VALUE:/headers/X-A'])
  t.same(codes(check({ headers: { 'X-A': 'a\nb' } })), ['error:CONFIG_HEADER_VALUE:/headers/X-A'])
  t.same(codes(check({ headers: { 'Content-Length': '5' } })), ['error:CONFIG_HEADER_RESERVED:/headers/Content-Length'])
  t.same(codes(check({ headers: { 'webhook-signature': 'v1,x' } })), ['error:CONFIG_HEADER_RESERVED:/headers/webhook-signature'])
})

t.test('Content-Type cannot be set on a form profile, but may be on json', async (t) => {
  t.same(codes(check({ format: 'form', headers: { 'content-type': 'text/plain' } })), ['error:CONFIG_HEADER_CONTENT_TYPE_FORM:/headers'])
  t.same(check({ headers: { 'Content-Type': 'application/vnd.acme+json' } }), [])
})

t.test('Authorization header and auth together are refused', async (t) => {
  t.same(codes(check({ headers: { Authorization: 'x' }, auth: { type: 'basic', username: 'u', password: 'p' } })), ['error:CONFIG_HEADER_AUTH_CONFLICT:/headers'])
})

t.test('key and IV lengths must fit the algorithm', async (t) => {
  const enc = (o: Record<string, unknown>) => ({ encryption: { algorithm: 'aes-256-cfb', key: '${env:ACME_KEY}', iv: 'random', parameters: ['to'], ...o } })
  t.same(check(enc({})), [])
  t.same(codes(check(enc({ algorithm: 'aes-128-cfb' }))), ['error:CONFIG_KEY_LENGTH:/encryption/key'])
  t.same(codes(check(enc({ key: 'hex:00112233' }))), ['error:CONFIG_KEY_LENGTH:/encryption/key'])
  t.same(check(enc({ key: 'base64:' + Buffer.alloc(32).toString('base64') })), [])
  t.same(codes(check(enc({ key: 'hex:zz' }))), ['error:CONFIG_BAD_ENCODING:/encryption/key'])
  t.same(codes(check(enc({ iv: 'short' }))), ['error:CONFIG_IV_LENGTH:/encryption/iv'])
  // A fixed CFB IV fits, and is warned about as GCM's is (on purpose: issue 14, item 9).
  t.same(codes(check(enc({ iv: 'hex:' + '00'.repeat(16) }))), ['warning:CONFIG_CFB_FIXED_IV:/encryption/iv'])
  t.same(codes(check(enc({ parameters: ['tto'] }))), ['error:CONFIG_UNKNOWN_VARIABLE:/encryption/parameters/0'])
})

t.test('GCM with a fixed IV is a warning (nonce reuse); 12 and 16 bytes fit', async (t) => {
  const enc = (iv: string) => ({ encryption: { algorithm: 'aes-256-gcm', key: '${env:ACME_KEY}', iv, parameters: ['to'] } })
  t.same(codes(check(enc('123456789012'))), ['warning:CONFIG_GCM_FIXED_IV:/encryption/iv'])
  t.same(codes(check(enc('1234567890123456'))), ['warning:CONFIG_GCM_FIXED_IV:/encryption/iv'])
  t.same(codes(check(enc('12345678901'))), ['error:CONFIG_IV_LENGTH:/encryption/iv', 'warning:CONFIG_GCM_FIXED_IV:/encryption/iv'])
  t.same(check(enc('random')), [])
})

t.test('body shapes per format, and the pasted JSON string body', async (t) => {
  t.same(check({ body: '{"id":"<id>","price": <price>, "units": <units>}' }), [])
  t.same(codes(check({ body: '{"id":"<id>",' })), ['error:CONFIG_BODY_INVALID_JSON:/body'])
  t.same(codes(check({ format: 'form', body: { a: { b: '<id>' } } })), ['error:CONFIG_BODY_SHAPE:/body/a'])
  t.same(codes(check({ format: 'form', body: 'id=<id>' })), ['error:CONFIG_BODY_SHAPE:/body'])
  t.same(check({ format: 'urlencoded', body: 'id=<id>&s=<status>' }), [])
  t.same(codes(check({ format: 'yaml' })), ['error:CONFIG_UNKNOWN_FORMAT:/format'])
})

t.test('signing secrets must be whsec_ base64, one or a list', async (t) => {
  t.same(check({ signing: { secret: '${env:WHSEC}' } }), [])
  t.same(codes(check({ signing: { secret: ['${env:WHSEC}', 'plain'] } })), ['error:CONFIG_SIGNING_SECRET:/signing/secret/1'])
})

t.test('oauth2 and basic auth are checked', async (t) => {
  t.same(check({ auth: { type: 'oauth2', tokenUrl: 'https://auth.example/token', clientId: 'c', clientSecret: 's' } }), [])
  t.same(codes(check({ auth: { type: 'oauth2', tokenUrl: 'nope', clientId: 'c', clientSecret: 's' } })), ['error:CONFIG_ENDPOINT_INVALID:/auth/tokenUrl'])
  t.same(codes(check({ auth: { type: 'basic', username: 'a:b', password: 'p' } })), ['error:CONFIG_BASIC_USERNAME:/auth/username'])
  t.ok(check({ auth: { type: 'magic' } }).length > 0, 'an unknown auth type is a schema error')
})

async function tree(files: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cr-config-'))
  await mkdir(join(dir, 'profiles'))
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  }
  return join(dir, 'callback-router.json')
}

t.test('loadConfig collects every problem across files, and refuses duplicate ids', async (t) => {
  const settings = await tree({
    'callback-router.json': { profilesDir: './profiles', delivery: { concurrency: 0 } },
    'profiles/a.json': base,
    'profiles/b.json': { ...base, title: 'Another one' },
    'profiles/c.json': '{ not json',
    'profiles/d.json': { ...base, id: 'd', method: 'GET' },
  })
  const cfg = await loadConfig({ configFile: settings, env })
  t.same(codes(cfg.diagnostics), ['error:CONFIG_SCHEMA:/delivery/concurrency'], 'a broken settings file stops before the profiles')

  await writeFile(settings, JSON.stringify({ profilesDir: './profiles' }))
  const cfg2 = await loadConfig({ configFile: settings, env })
  t.same(codes(cfg2.diagnostics), ['error:CONFIG_DUPLICATE_ID:/id', 'error:CONFIG_INVALID_JSON:', 'error:CONFIG_BODY_NOT_ALLOWED:/body'])
  t.equal(cfg2.profiles.length, 1)
  t.equal(cfg2.settings.delivery.concurrency, 64, 'defaults are filled')
  t.equal(cfg2.settings.nats.subjectPrefix, 'callbacks')
  t.match(formatDiagnostic(cfg2.diagnostics[0], '/'), /profiles\/b\.json:\/id: profile id "acme-sms" is already used by .*a\.json/)
})

t.test('NATS_URL overrides the servers of the file', async (t) => {
  const settings = await tree({ 'callback-router.json': { nats: { servers: ['nats://a:4222'] } } })
  const cfg = await loadConfig({ configFile: settings, env: { NATS_URL: 'nats://x:1, nats://y:2' }, settingsOnly: true })
  t.same(cfg.settings.nats.servers, ['nats://x:1', 'nats://y:2'])
})

t.test('`validate` exits 1 listing every problem as file:pointer: message, and 0 on the shipped config', async (t) => {
  const settings = await tree({
    'callback-router.json': { profilesDir: './profiles' },
    'profiles/a.json': { ...base, title: 'x', retry: { count: 9 } },
    'profiles/b.json': { ...base, id: 'b', channel: 'default', body: { x: '<unknown_thing>' } },
  })
  const bad = spawnSync(process.execPath, [...cliArgs(), 'validate', '--config', settings], { encoding: 'utf8' })
  t.equal(bad.status, 1)
  t.match(bad.stderr, /profiles\/a\.json:\/title: title must be/)
  t.match(bad.stderr, /profiles\/a\.json:\/retry\/count: retry.count 9 is above/)
  t.match(bad.stderr, /profiles\/b\.json:\/body\/x: warning: unknown variable <unknown_thing>/)

  const shipped = spawnSync(process.execPath, [...cliArgs(), 'validate'], { encoding: 'utf8', cwd: join(__dirname, '..'), env: { ...process.env, ...demoEnv() } })
  t.equal(shipped.status, 0, shipped.stderr)
})

/** The demo secrets the README sets for the shipped examples. */
function demoEnv(): Record<string, string> {
  return {
    DEMO_API_KEY: 'demo-api-key',
    DEMO_AES_KEY: 'demo-aes-256-key-0123456789abcde',
    DEMO_WHSEC: 'whsec_ZGVtby13ZWJob29rLXNpZ25pbmctc2VjcmV0IQ==',
  }
}
