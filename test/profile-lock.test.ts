// Where the profile rules of the operator's page live: a profile's channel is locked (the
// daemon's reload and the console API refuse a move), the console API refuses what its
// form refuses (retries without interval and timeout) while files keep the defaults and
// `validate --verbose` says what it filled in; event names as the page spells them.
import t from 'tap'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type LoadedConfig } from '../core/config/settings'
import { createConsoleHandler } from '../core/console/handler'
import { sendTestCallback } from '../core/console/test-callback'
import { createDeliverer } from '../core/delivery/deliver'
import { createDispatcher } from '../core/delivery/dispatcher'
import { createFixture, profile } from './helpers/daemon-fixture'
import { runInProcess } from './helpers/cli-in-process'

const TOKEN = 'profile-lock-test-token-0123456789'

async function consoleApi(t: { teardown(fn: () => unknown): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'profile-lock-'))
  const profilesDir = join(dir, 'profiles')
  await mkdir(profilesDir)
  const settingsFile = join(dir, 'callback-router.json')
  await writeFile(settingsFile, JSON.stringify({ profilesDir: './profiles', console: { enabled: true } }))
  await writeFile(join(profilesDir, 'acme-sms.json'), JSON.stringify(profile('acme-sms', 'https://hooks.acme.example/sms', { retry: { count: 1 } })))
  let config: LoadedConfig = await loadConfig({ configFile: settingsFile, env: {} })
  const dispatcher = createDispatcher({ allow: [] })
  const handler = createConsoleHandler({
    getConfig: () => config,
    reload: async () => {
      config = await loadConfig({ configFile: settingsFile, env: {} })
    },
    testCallback: (p) => sendTestCallback(p, config.registry, { deliverer: createDeliverer({ dispatcher, maxResponseBytes: 2048 }) }),
    token: TOKEN,
    env: {},
  })
  const server: Server = createServer((req, res) => void handler(req, res))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/console/api`
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
    await dispatcher.close()
    await rm(dir, { recursive: true, force: true })
  })
  const call = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: res.status, body: (await res.json()) as { diagnostics?: { code: string; pointer: string; message: string }[]; error?: { diagnostics?: { code: string; pointer: string }[] } } }
  }
  return { call, profilesDir, config: () => config }
}

function codesOf(body: { diagnostics?: { code: string; pointer: string }[]; error?: { diagnostics?: { code: string; pointer: string }[] } }): string[] {
  const ds = body.diagnostics ?? body.error?.diagnostics ?? []
  return ds.map((d) => `${d.code} ${d.pointer}`)
}

t.test('the console API refuses moving a profile to another channel, saying to create a new one', async (t) => {
  const { call, profilesDir } = await consoleApi(t)
  const moved = profile('acme-sms', 'https://hooks.acme.example/sms', { channel: 'email', retry: { count: 1, intervalSeconds: 5, timeoutMs: 1000 } })
  const r = await call('PUT', '/profiles/acme-sms', { raw: moved })
  t.equal(r.status, 422)
  t.match(codesOf(r.body), ['CONFIG_CHANNEL_LOCKED /channel'])
  t.match(JSON.stringify(r.body), /create a new profile/)
  t.match(JSON.parse(await readFile(join(profilesDir, 'acme-sms.json'), 'utf8')), { channel: 'sms' }, 'the file is untouched')
  const same = await call('PUT', '/profiles/acme-sms', { raw: { ...moved, channel: 'sms' } })
  t.equal(same.status, 200, 'the same channel saves')
  const created = await call('POST', '/profiles', { raw: { ...moved, id: 'acme-email' } })
  t.equal(created.status, 201, 'a new profile on the other channel is fine')
})

t.test('the console API refuses retries without interval and timeout, as the form does; files keep the defaults', async (t) => {
  const { call, config } = await consoleApi(t)
  t.ok(config().profiles.some((p) => p.profile.id === 'acme-sms'), 'the file with count 1 and no interval or timeout loads')
  for (const count of [1, 2]) {
    const r = await call('POST', '/profiles', { raw: profile(`beta-${count}`, 'https://hooks.beta.example/sms', { account: 'beta', retry: { count } }) })
    t.equal(r.status, 422, `count ${count}`)
    t.same(codesOf(r.body).sort(), ['CONFIG_RETRY_FIELD_REQUIRED /retry/intervalSeconds', 'CONFIG_RETRY_FIELD_REQUIRED /retry/timeoutMs'])
  }
  const ok = await call('POST', '/profiles', { raw: profile('beta-ok', 'https://hooks.beta.example/sms', { account: 'beta', retry: { count: 2, intervalSeconds: 3, timeoutMs: 800 } }) })
  t.equal(ok.status, 201)
  const none = await call('POST', '/profiles', { raw: profile('beta-none', 'https://hooks.beta.example/sms', { account: 'beta', retry: { count: 0 } }) })
  t.equal(none.status, 201, 'no retries need no interval')
})

t.test('the console stores event names as the catalog spells them', async (t) => {
  const { call, profilesDir } = await consoleApi(t)
  const r = await call('POST', '/profiles', { raw: { id: 'acme-voice', title: 'ACME voice', account: 'acme', channel: 'voice', events: ['Voice'], endpoint: 'https://hooks.acme.example/voice', retry: { count: 0 } } })
  t.equal(r.status, 201)
  t.same(JSON.parse(await readFile(join(profilesDir, 'acme-voice.json'), 'utf8')).events, ['voice'])
})

t.test('validate --verbose prints the values it filled in as notes; without it, none', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'validate-notes-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'profiles'))
  const settings = join(dir, 'callback-router.json')
  await writeFile(settings, JSON.stringify({ profilesDir: './profiles', delivery: { defaultTimeoutMs: 2500 } }))
  await writeFile(join(dir, 'profiles', 'p.json'), JSON.stringify({ id: 'p', title: 'Page words', account: 'acme', events: ['Voice'], endpoint: 'https://h.example/cb', retry: { count: 2 } }))
  const run = (args: string[]) => runInProcess(['--config', settings, ...args])
  const verbose = await run(['validate', '--verbose'])
  t.equal(verbose.code, 0, verbose.text)
  t.match(verbose.text, /p\.json:\/channel: note: channel read as "default"/)
  t.match(verbose.text, /p\.json:\/events\/0: note: events\/0 read as "voice"/)
  t.match(verbose.text, /p\.json:\/retry\/intervalSeconds: note: retry\.intervalSeconds read as 60/)
  t.match(verbose.text, /p\.json:\/retry\/timeoutMs: note: retry\.timeoutMs read as 2500/)
  t.match(verbose.text, /ok: 1 profile\(s\)/)
  const quiet = await run(['validate'])
  t.equal(quiet.code, 0)
  t.notMatch(quiet.text, /note:/)
  const json = await run(['validate', '--verbose', '--json'])
  const doc = JSON.parse(json.text) as { ok: boolean; notes: { code: string; pointer: string }[] }
  t.equal(doc.ok, true)
  t.same(doc.notes.map((n) => n.pointer), ['/channel', '/events/0', '/retry/intervalSeconds', '/retry/timeoutMs'])
})

t.test("the daemon's reload refuses a profile moved to another channel and keeps the running set", async (t) => {
  const fx = await createFixture({ profiles: [profile('locked', 'http://127.0.0.1:9/locked')] })
  t.teardown(() => fx.close())
  const d = await fx.start()
  await fx.writeProfile(profile('locked', 'http://127.0.0.1:9/locked', { channel: 'email' }))
  const r = await d.reload()
  t.equal(r.ok, false)
  t.match(r.errors.join('\n'), /locked\.json:\/channel: profile "locked" was on channel "sms".*create a new profile/)
  t.equal(d.config().profiles.find((p) => p.profile.id === 'locked')?.profile.channel, 'sms', 'the last good set stays')
  await fx.writeProfile(profile('locked', 'http://127.0.0.1:9/locked', { channel: 'sms', title: 'Renamed profile' }))
  t.equal((await d.reload()).ok, true, 'a change that keeps the channel reloads')
})
