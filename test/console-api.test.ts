// The console's JSON API against real profile files: who may call it, what it
// refuses, and that what it writes is what `validate` accepts and the loader reads.
import t from 'tap'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, mkdir, readFile, readdir, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type LoadedConfig } from '../core/config/settings'
import { createDispatcher } from '../core/delivery/dispatcher'
import { createDeliverer } from '../core/delivery/deliver'
import { createConsoleHandler } from '../core/console/handler'
import { consoleToken, COOKIE_NAME } from '../core/console/auth'
import { sendTestCallback } from '../core/console/test-callback'
import { startEndpoint } from './helpers/endpoint'
import { buildConsoleAssets } from './helpers/console-browser'

const TOKEN = 'console-test-token-0123456789'
const env = { ...process.env, DEMO_API_KEY: 'secret-api-key-value' }

async function setup(t: { teardown(fn: () => unknown): void }, assetsDir?: string) {
  const dir = await mkdtemp(join(tmpdir(), 'console-api-'))
  const profilesDir = join(dir, 'profiles')
  await mkdir(profilesDir)
  const settingsFile = join(dir, 'callback-router.json')
  await writeFile(settingsFile, JSON.stringify({ profilesDir: './profiles', network: { allow: ['127.0.0.0/8'] }, console: { enabled: true } }))
  // A profile whose file name is not its id, holding a secret by reference.
  await writeFile(
    join(profilesDir, 'legacy-name.json'),
    JSON.stringify(
      {
        id: 'acme-wa',
        title: 'ACME WhatsApp status',
        account: 'acme',
        channel: 'whatsapp',
        events: ['message_status'],
        method: 'POST',
        endpoint: 'https://hooks.acme.example/wa?id=<id>',
        headers: { 'X-Api-Key': '${env:DEMO_API_KEY}' },
        signing: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
      },
      null,
      2,
    ),
  )
  let config: LoadedConfig = await loadConfig({ configFile: settingsFile, env })
  let reloads = 0
  const dispatcher = createDispatcher({ allow: ['127.0.0.0/8'] })
  const handler = createConsoleHandler({
    getConfig: () => config,
    reload: async () => {
      reloads++
      config = await loadConfig({ configFile: settingsFile, env })
    },
    testCallback: (p) => sendTestCallback(p, config.registry, { deliverer: createDeliverer({ dispatcher, maxResponseBytes: 2048 }) }),
    token: TOKEN,
    env,
    assetsDir,
  })
  const server: Server = createServer((req, res) => void handler(req, res))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
    await dispatcher.close()
    await rm(dir, { recursive: true, force: true })
  })
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(`${base}/console${path}`, {
      method,
      redirect: 'manual',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  return { dir, profilesDir, base, call, reloads: () => reloads }
}

const smsProfile = (endpoint: string) => ({
  id: 'beta-sms',
  title: 'Beta SMS reports',
  account: 'beta',
  channel: 'sms',
  events: ['sms-send'],
  method: 'POST',
  endpoint,
  format: 'json',
  body: { id: '<id>', status: '<status>' },
  retry: { count: 1, intervalSeconds: 2, timeoutMs: 2000 },
})

t.test('the console refuses to start without CALLBACK_ROUTER_CONSOLE_TOKEN', async (t) => {
  t.throws(() => consoleToken({}), { code: 'CONSOLE_TOKEN_MISSING' })
  t.throws(() => consoleToken({ CALLBACK_ROUTER_CONSOLE_TOKEN: '  ' }), { code: 'CONSOLE_TOKEN_MISSING' })
  // Since issue 14: a token shorter than 24 characters stops it too (test/console-hardening.test.ts).
  t.throws(() => consoleToken({ CALLBACK_ROUTER_CONSOLE_TOKEN: 'abc' }), { code: 'CONSOLE_TOKEN_SHORT' })
  t.equal(consoleToken({ CALLBACK_ROUTER_CONSOLE_TOKEN: 'abc'.repeat(8) }), 'abc'.repeat(8))
})

t.test('every request needs the token: API 401, page redirects to sign-in, sign-in page is open', async (t) => {
  const { call } = await setup(t)
  t.equal((await call('GET', '/api/profiles', undefined, {})).status, 401)
  t.equal((await call('GET', '/api/profiles', undefined, { authorization: 'Bearer wrong' })).status, 401)
  t.equal((await call('GET', '/app.js', undefined, {})).status, 401)
  const page = await call('GET', '/', undefined, {})
  t.equal(page.status, 303)
  t.equal(page.headers.get('location'), '/console/login')
  const login = await call('GET', '/login', undefined, {})
  t.equal(login.status, 200)
  t.match(await login.text(), /name="token"/)
  t.equal((await call('GET', '/api/profiles')).status, 200)
})

t.test('sign-in sets an HttpOnly, SameSite=Strict cookie that opens the API; a wrong token does not', async (t) => {
  const { call, base } = await setup(t)
  const form = { 'content-type': 'application/x-www-form-urlencoded', origin: base }
  const bad = await fetch(`${base}/console/login`, { method: 'POST', redirect: 'manual', headers: form, body: 'token=nope' })
  t.equal(bad.status, 401)
  t.equal(bad.headers.get('set-cookie'), null)
  const crossSite = await fetch(`${base}/console/login`, { method: 'POST', redirect: 'manual', headers: { ...form, origin: 'http://evil.example' }, body: `token=${TOKEN}` })
  t.equal(crossSite.status, 403)
  const ok = await fetch(`${base}/console/login`, { method: 'POST', redirect: 'manual', headers: form, body: `token=${encodeURIComponent(TOKEN)}` })
  t.equal(ok.status, 303)
  const cookie = ok.headers.get('set-cookie') ?? ''
  t.match(cookie, new RegExp(`^${COOKIE_NAME}=`))
  t.match(cookie, /HttpOnly/)
  t.match(cookie, /SameSite=Strict/)
  t.notMatch(cookie, TOKEN, 'the cookie does not carry the token itself')
  const session = cookie.split(';')[0]
  const list = await call('GET', '/api/profiles', undefined, { cookie: session })
  t.equal(list.status, 200)
  t.equal((await call('GET', '/api/profiles', undefined, { cookie: `${COOKIE_NAME}=forged` })).status, 401)
})

t.test('state changes with the cookie need the same origin (CSRF), and JSON', async (t) => {
  const { call, base, profilesDir } = await setup(t)
  const login = await fetch(`${base}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: `token=${TOKEN}`,
  })
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]
  const raw = smsProfile('https://hooks.beta.example/sms')
  t.equal((await call('POST', '/api/profiles', { raw }, { cookie, origin: 'http://evil.example' })).status, 403)
  t.equal((await call('POST', '/api/profiles', { raw }, { cookie })).status, 403, 'no Origin with a cookie is refused')
  t.equal((await call('DELETE', '/api/profiles/acme-wa', undefined, { cookie, origin: 'http://evil.example' })).status, 403)
  const form = await fetch(`${base}/console/api/profiles`, { method: 'POST', headers: { cookie, origin: base, 'content-type': 'text/plain' }, body: JSON.stringify({ raw }) })
  t.equal(form.status, 415)
  t.same((await readdir(profilesDir)).sort(), ['legacy-name.json'], 'nothing was written')
  const ok = await call('POST', '/api/profiles', { raw }, { cookie, origin: base })
  t.equal(ok.status, 201)
})

t.test('creating a profile writes <id>.json that the loader reads, and the daemon is reloaded', async (t) => {
  const { call, profilesDir, reloads } = await setup(t)
  const raw = smsProfile('https://hooks.beta.example/sms?ref=<ref>')
  const res = await call('POST', '/api/profiles', { raw })
  t.equal(res.status, 201)
  t.match(await res.json(), { id: 'beta-sms', file: 'beta-sms.json' })
  t.same(JSON.parse(await readFile(join(profilesDir, 'beta-sms.json'), 'utf8')), raw)
  t.equal(reloads(), 1)
  const list = (await (await call('GET', '/api/profiles')).json()) as { profiles: Array<{ id: string; title: string; channel: string; events: string[]; method: string; endpoint: string }> }
  t.match(list.profiles.find((p) => p.id === 'beta-sms'), { title: 'Beta SMS reports', channel: 'sms', events: ['sms-send'], method: 'POST', endpoint: 'https://hooks.beta.example/sms?ref=<ref>' })
  const searched = (await (await call('GET', '/api/profiles?search=whatsapp')).json()) as { profiles: Array<{ id: string }> }
  t.same(
    searched.profiles.map((p) => p.id),
    ['acme-wa'],
  )
  // The same id again: refused, nothing overwritten.
  const again = await call('POST', '/api/profiles', { raw: { ...raw, title: 'Another title' } })
  t.equal(again.status, 422)
  t.match(await again.json(), { diagnostics: [{ level: 'error', code: 'CONFIG_DUPLICATE_ID', pointer: '/id' }] })
  t.equal(JSON.parse(await readFile(join(profilesDir, 'beta-sms.json'), 'utf8')).title, 'Beta SMS reports')
  // Another profile's id under a new file name: refused too.
  const taken = await call('POST', '/api/profiles', { raw: { ...raw, id: 'acme-wa' } })
  t.equal(taken.status, 422)
  t.equal((await readdir(profilesDir)).filter((f) => f.endsWith('.json')).length, 2)
})

t.test('validation errors come back with the JSON pointer of each field, as validate reports them', async (t) => {
  const { call, profilesDir } = await setup(t)
  const raw = {
    ...smsProfile('https://hooks.beta.example/sms?x=<stauts>'),
    title: 'Bad title!',
    retry: { count: 9 },
    headers: { 'Bad Header': 'x' },
    encryption: { algorithm: 'aes-256-gcm', key: 'too-short', iv: 'random', parameters: ['to'] },
  }
  const res = await call('POST', '/api/profiles', { raw })
  t.equal(res.status, 422)
  const { diagnostics } = (await res.json()) as { diagnostics: Array<{ level: string; code: string; pointer: string; message: string }> }
  const got = diagnostics.filter((d) => d.level === 'error').map((d) => `${d.code} ${d.pointer}`)
  t.same(got.sort(), ['CONFIG_HEADER_NAME /headers/Bad Header', 'CONFIG_KEY_LENGTH /encryption/key', 'CONFIG_RETRY_ABOVE_CAP /retry/count', 'CONFIG_TITLE_INVALID /title', 'CONFIG_UNKNOWN_VARIABLE /endpoint'].sort())
  t.match(diagnostics.find((d) => d.pointer === '/endpoint')?.message, /did you mean/)
  t.same((await readdir(profilesDir)).sort(), ['legacy-name.json'])
})

t.test('an edit goes back to the file it came from, keeping ${env:…} as written; the API never expands it', async (t) => {
  const { call, profilesDir } = await setup(t)
  const got = (await (await call('GET', '/api/profiles/acme-wa')).json()) as { file: string; raw: Record<string, unknown> }
  t.equal(got.file, 'legacy-name.json')
  t.same(got.raw.headers, { 'X-Api-Key': '${env:DEMO_API_KEY}' })
  t.notMatch(JSON.stringify(got), 'secret-api-key-value')
  const res = await call('PUT', '/api/profiles/acme-wa', { raw: { ...got.raw, title: 'ACME WhatsApp statuses v2' } })
  t.equal(res.status, 200)
  t.same((await readdir(profilesDir)).sort(), ['legacy-name.json'], 'no new file, no temp file left')
  const written = JSON.parse(await readFile(join(profilesDir, 'legacy-name.json'), 'utf8'))
  t.equal(written.title, 'ACME WhatsApp statuses v2')
  t.same(written.headers, { 'X-Api-Key': '${env:DEMO_API_KEY}' })
  const list = (await (await call('GET', '/api/profiles')).json()) as { profiles: Array<{ id: string; title: string }> }
  t.equal(list.profiles.find((p) => p.id === 'acme-wa')?.title, 'ACME WhatsApp statuses v2')
  // A broken edit leaves the file alone.
  const bad = await call('PUT', '/api/profiles/acme-wa', { raw: { ...got.raw, method: 'GET', body: { a: '<id>' } } })
  t.equal(bad.status, 422)
  t.match(await bad.json(), { diagnostics: [{ code: 'CONFIG_BODY_NOT_ALLOWED', pointer: '/body' }] })
  t.equal(JSON.parse(await readFile(join(profilesDir, 'legacy-name.json'), 'utf8')).title, 'ACME WhatsApp statuses v2')
  t.equal((await call('PUT', '/api/profiles/nobody', { raw: got.raw })).status, 404)
})

t.test('enable/disable rewrites only `enabled`; delete removes the file', async (t) => {
  const { call, profilesDir } = await setup(t)
  const off = await call('POST', '/api/profiles/acme-wa/enabled', { enabled: false })
  t.equal(off.status, 200)
  const written = JSON.parse(await readFile(join(profilesDir, 'legacy-name.json'), 'utf8'))
  t.equal(written.enabled, false)
  t.same(written.headers, { 'X-Api-Key': '${env:DEMO_API_KEY}' })
  const list = (await (await call('GET', '/api/profiles')).json()) as { profiles: Array<{ id: string; enabled: boolean }> }
  t.equal(list.profiles.find((p) => p.id === 'acme-wa')?.enabled, false)
  t.equal((await call('POST', '/api/profiles/acme-wa/enabled', { enabled: 'no' })).status, 400)
  const del = await call('DELETE', '/api/profiles/acme-wa')
  t.equal(del.status, 200)
  t.same(await readdir(profilesDir), [])
  t.equal((await call('GET', '/api/profiles/acme-wa')).status, 404)
  t.equal((await call('DELETE', '/api/profiles/acme-wa')).status, 404)
})

t.test('Test sends one real callback with the form settings and reports the verdict', async (t) => {
  const { call } = await setup(t)
  const endpoint = await startEndpoint()
  t.teardown(() => endpoint.close())
  const raw = smsProfile(`${endpoint.url}/hook?ref=<ref>`)
  const ok = await call('POST', '/api/test', { raw })
  t.equal(ok.status, 200)
  t.match(await ok.json(), { ok: true, status: 200, error: null, event: 'sms-send', request: { method: 'POST' } })
  const [req] = await endpoint.waitFor(1)
  t.equal(req.pathname, '/hook')
  t.match(req.headers['webhook-id'], /^test_.*:beta-sms$/)
  t.match(JSON.parse(req.body.toString()), { id: String, status: String })
  endpoint.setBehaviour({ status: 500 })
  const failed = await call('POST', '/api/test', { raw })
  t.match(await failed.json(), { ok: false, status: 500, error: 'status 500' })
  // The form may not have an id yet.
  endpoint.setBehaviour({ status: 202 })
  const unnamed = await call('POST', '/api/test', { raw: { ...raw, id: '' } })
  const unnamedOutcome = await unnamed.json()
  t.match(unnamedOutcome, { ok: true }, JSON.stringify(unnamedOutcome))
  t.match((await endpoint.waitFor(3))[2].headers['webhook-id'], /:console-test$/)
  const invalid = await call('POST', '/api/test', { raw: { ...raw, endpoint: 'ftp://x' } })
  t.equal(invalid.status, 422)
  t.match(await invalid.json(), { diagnostics: [{ pointer: '/endpoint' }] })
})

t.test('the variables pane: catalog with envelope variables, and snippets from the shared builder', async (t) => {
  const { call } = await setup(t)
  const vars = (await (await call('GET', '/api/variables?channel=sms&events=sms-send')).json()) as { variables: Array<{ name: string }> }
  const names = vars.variables.map((v) => v.name)
  t.ok(names.includes('status'))
  t.ok(names.includes('_event.id'))
  const q = (await (await call('POST', '/api/snippet', { channel: 'sms', events: ['sms-send'], select: ['id', 'status'], format: 'query' })).json()) as { snippet: string }
  t.equal(q.snippet, 'id=<id>&status=<status>')
  const j = (await (await call('POST', '/api/snippet', { channel: 'sms', events: ['sms-send'], select: ['id', 'error.code'], format: 'json' })).json()) as { snippet: string }
  t.same(JSON.parse(j.snippet), { id: '<id>', error: { code: '<error.code>' } })
  t.equal((await call('GET', '/api/variables?channel=nope')).status, 404)
  const meta = (await (await call('GET', '/api/meta')).json()) as { channels: Array<{ name: string; events: string[] }>; deadLetters: boolean }
  t.same(meta.channels.find((c) => c.name === 'whatsapp')?.events.length, 5)
  t.equal(meta.deadLetters, false)
  t.equal((await call('GET', '/api/dead-letters')).status, 503)
})

t.test('the page and its assets are served behind the token with a strict CSP; nothing else is', async (t) => {
  const assets = buildConsoleAssets()
  t.teardown(() => assets.remove())
  const { call } = await setup(t, assets.dir)
  const page = await call('GET', '/')
  t.equal(page.status, 200)
  t.match(page.headers.get('content-security-policy'), /default-src 'none'; script-src 'self'/)
  t.equal(page.headers.get('x-frame-options'), 'DENY')
  t.match(await page.text(), /<script defer src="\/console\/app.js">/)
  const js = await call('GET', '/app.js')
  t.equal(js.status, 200)
  t.match(js.headers.get('content-type'), /javascript/)
  for (const path of ['/..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/nope.txt', '/sub/app.js']) {
    t.equal((await call('GET', path)).status, 404, path)
  }
})
