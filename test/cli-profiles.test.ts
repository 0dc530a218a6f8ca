import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../core/config/settings'
import { compileProfile } from '../core/render/compile'
import { sampleData } from '../core/plugin/sample-data'
import { listProfiles, titleMatches } from '../core/cli/profiles'
import { cliArgs } from './helpers/cli'

const ROOT = join(__dirname, '..')
const SHIPPED = join(ROOT, 'config', 'callback-router.json')
/** The demo secrets the README sets for the shipped examples. */
const DEMO_ENV = {
  DEMO_API_KEY: 'demo-api-key',
  DEMO_AES_KEY: 'demo-aes-256-key-0123456789abcde',
  DEMO_WHSEC: 'whsec_ZGVtby13ZWJob29rLXNpZ25pbmctc2VjcmV0IQ==',
}

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  // No NATS answers on port 1: the listing works offline and says the health state is unknown
  // (tests never use 4222, where the shipped settings point).
  return spawnSync(process.execPath, [...cliArgs(), ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, ...DEMO_ENV, NATS_URL: 'nats://127.0.0.1:1' } })
}

t.test('`profiles --json` lists every shipped profile as { id, title, account, channel, events, method, endpoint, enabled, state, stateReason }', async (t) => {
  const r = cli('--config', SHIPPED, 'profiles', '--json')
  t.equal(r.status, 0, r.stderr)
  const rows = JSON.parse(r.stdout)
  for (const row of rows) t.same(Object.keys(row), ['id', 'title', 'account', 'channel', 'events', 'method', 'endpoint', 'enabled', 'state', 'stateReason'])
  t.same(new Set(rows.map((p: { channel: string }) => p.channel)), new Set(['sms', 'email', 'voice', 'whatsapp', 'default']), 'one profile per channel at least')
  const sms = rows.find((p: { id: string }) => p.id === 'acme-sms-dlr-get')
  t.same(sms, {
    id: 'acme-sms-dlr-get',
    title: 'ACME SMS delivery reports GET',
    account: 'acme',
    channel: 'sms',
    events: ['sms-send'],
    method: 'GET',
    endpoint: 'http://127.0.0.1:8788/callbacks/sms?id=<id>&to=<to>&status=<status>&code=<error.code>&ref=<ref>',
    enabled: true,
    state: 'unknown',
    stateReason: 'NATS unreachable',
  })
  t.same(rows.find((p: { id: string }) => p.id === 'acme-email-status').events, ['email-send'], 'omitted events: every event of the channel')
  t.same(rows.find((p: { id: string }) => p.id === 'acme-default').events, ['*'], 'a catch-all profile without events takes any')
})

t.test('`--search` keeps the profiles whose title holds every word, ignoring case', async (t) => {
  const r = cli('--config', SHIPPED, 'profiles', '--search', 'whatsapp acme', '--json')
  t.equal(r.status, 0, r.stderr)
  t.same(JSON.parse(r.stdout).map((p: { id: string }) => p.id), ['acme-wa-business', 'acme-wa-incoming', 'acme-wa-payments', 'acme-wa-status'])
  const table = cli('--config', SHIPPED, 'profiles', '--search', 'SMS reports')
  t.equal(table.status, 0, table.stderr)
  const lines = table.stdout.trimEnd().split('\n')
  t.match(lines[0], /^ID\s+TITLE\s+ACCOUNT\s+CHANNEL\s+EVENTS\s+METHOD\s+ENABLED\s+STATE\s+ENDPOINT$/)
  t.same(lines.slice(1).map((l) => l.split(/\s+/)[0]), ['acme-sms-dlr', 'acme-sms-dlr-get'])
  const none = cli('--config', SHIPPED, 'profiles', '--search', 'fax')
  t.equal(none.status, 0)
  t.equal(none.stdout, 'no profile title matches "fax"\n')
})

t.test('titleMatches: all words, any order, case-insensitive, substrings', async (t) => {
  t.ok(titleMatches('ACME SMS delivery reports', 'reports sms'))
  t.ok(titleMatches('ACME SMS delivery reports', 'deliv'))
  t.ok(titleMatches('ACME SMS delivery reports', '  '))
  t.ok(titleMatches('ACME SMS delivery reports', undefined))
  t.notOk(titleMatches('ACME SMS delivery reports', 'sms whatsapp'))
})

t.test('a listing shows what loaded: a broken profile is reported on stderr, the others listed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cr-profiles-'))
  await mkdir(join(dir, 'profiles'))
  const settings = join(dir, 'settings.json')
  await writeFile(settings, JSON.stringify({ profilesDir: './profiles' }))
  const good = { id: 'b-voice', title: 'Beta voice', account: 'beta', channel: 'voice', endpoint: 'https://hooks.beta.example/voice', enabled: false }
  await writeFile(join(dir, 'profiles', 'good.json'), JSON.stringify(good))
  await writeFile(join(dir, 'profiles', 'bad.json'), JSON.stringify({ ...good, id: 'b-bad', title: 'x' }))
  const r = cli('--config', settings, 'profiles', '--json')
  t.equal(r.status, 0)
  t.match(r.stderr, /bad\.json:\/title: title must be/)
  t.same(JSON.parse(r.stdout), [{ id: 'b-voice', title: 'Beta voice', account: 'beta', channel: 'voice', events: ['voice'], method: 'POST', endpoint: 'https://hooks.beta.example/voice', enabled: false, state: 'unknown', stateReason: 'NATS unreachable' }])
})

t.test('the shipped examples load without diagnostics and render every event they subscribe to', async (t) => {
  const config = await loadConfig({ configFile: SHIPPED, env: DEMO_ENV })
  t.same(config.diagnostics, [])
  const methods = new Set<string>()
  const formats = new Set<string>()
  for (const { profile } of config.profiles) {
    methods.add(profile.method!)
    if (profile.method !== 'GET') formats.add(profile.format!)
    const compiled = compileProfile(profile, config.registry)
    const plugin = config.registry.get(profile.channel)!
    const events = plugin.catchAll ? ['message_status', 'order-shipped'] : profile.events ?? config.registry.eventsOf(profile.channel)
    for (const event of events) {
      const channel = plugin.catchAll && event === 'message_status' ? 'whatsapp' : profile.channel
      const data = sampleData(config.registry.eventSpec(channel, event)!)
      const req = compiled.render({ id: 'evt_1', account: 'acme', data }, { event, channel, timestamp: 1_800_000_000 })
      t.ok(req.url.startsWith('http://127.0.0.1:8788/callbacks/'), `${profile.id} ${event}`)
      if (profile.signing) t.match(req.headers['webhook-signature'], /^v1,/, `${profile.id} is signed`)
    }
  }
  t.same([...methods].sort(), ['GET', 'POST', 'PUT'])
  t.same([...formats].sort(), ['form', 'json', 'urlencoded'])
  const all = config.profiles.map((p) => p.profile)
  t.ok(all.some((p) => p.encryption?.algorithm.endsWith('gcm')) && all.some((p) => p.encryption?.algorithm.endsWith('cfb')), 'encryption in both modes')
  t.ok(all.some((p) => typeof p.body === 'string'), 'a pasted JSON text body')
  t.ok(all.some((p) => Object.keys(p.headers ?? {}).length > 0), 'headers')
  t.same(listProfiles(config).length, config.profiles.length)
})

t.test('unreadable settings fail the listing with exit 1', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cr-profiles-'))
  const r = cli('--config', join(dir, 'nope.json'), 'profiles')
  t.equal(r.status, 1)
  t.match(r.stderr, /nope\.json:\/: cannot read the file/)
  t.match(r.stderr, /cannot list profiles/)
  t.equal(r.stdout, '')
})

