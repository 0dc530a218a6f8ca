// A secret never leaves the daemon (DESIGN "Secrets and hostile input"): a value planted in
// the environment and named by `${env:…}` in profiles is looked for in everything that can
// show a profile value: `validate` (text and --json), the console's Test and save answers,
// the reload-refused log, `test`, dead letters, attempt records and the daemon's log.
// Where a value would be shown, its `${env:NAME}` reference is.
import t, { type Test } from 'tap'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadConfig, type LoadedConfig } from '../core/config/settings'
import { createDispatcher } from '../core/delivery/dispatcher'
import { createDeliverer } from '../core/delivery/deliver'
import { createConsoleHandler } from '../core/console/handler'
import { sendTestCallback } from '../core/console/test-callback'
import { startDaemon } from '../core/daemon/start'
import { createLogger } from '../core/logger'
import { listDeadLetters } from '../core/jetstream/dead-letters'
import { readAttempts } from '../core/jetstream/attempt-log'
import { startEndpoint, type Endpoint } from './helpers/endpoint'
import { createFixture, eventually, profile, runCli, type Fixture } from './helpers/daemon-fixture'
import { ROOT } from './helpers/cli'
import { PluginRegistry } from '../core/plugin/registry'
import { sampleData } from '../core/plugin/sample-data'
import { builtins } from '../plugins'

// Planted in this process's environment, so the in-process daemon and console read them
// and every CLI child inherits them.
const PLANTED = {
  CR_PLANTED: 'planted-Secret-7f3c9e1d2b44',
  CR_PLANTED_HOST: 'planted-host-9a8b7c6d5e',
  CR_REFUSED_HOST: '10.77.66.55',
}
Object.assign(process.env, PLANTED)
const VALUES = Object.values(PLANTED)
const TOKEN = 'secrets-leak-console-token-0123456789'
// A dozen CLI processes and a daemon: minutes on a loaded 2-core machine, not seconds.
t.setTimeout(600_000)

/** Every planted value found in `text` (and its lower-case form: URL parsing lower-cases hosts). */
function leaks(text: string): string[] {
  const lower = text.toLowerCase()
  return VALUES.filter((v) => text.includes(v) || lower.includes(v.toLowerCase()))
}

function noLeak(t: Test, text: string, where: string): void {
  t.same(leaks(text), [], `no planted value in ${where}`)
}

/** An endpoint that answers with the request's headers: a receiver echoing what it got. */
async function echoEndpoint(t: Test, status = 200): Promise<Endpoint> {
  const ep = await startEndpoint({ behaviour: (req) => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(req.headers) }) })
  t.teardown(() => ep.close())
  return ep
}

const hostileFields = {
  events: ['${env:CR_PLANTED}'],
  encryption: { algorithm: 'aes-128-gcm', key: '0123456789abcdef', iv: 'random', parameters: ['${env:CR_PLANTED}'] },
}

t.test('validate (text and --json) names the reference where a profile value is quoted, never the value', async (t) => {
  const fx = await createFixture({ profiles: [profile('hostile', 'http://127.0.0.1:9/x', hostileFields)] })
  t.teardown(() => fx.close())
  for (const args of [['validate'], ['validate', '--json']]) {
    const r = await runCli(['-c', fx.configFile, ...args])
    t.equal(r.code, 1, `${args.join(' ')} exits 1`)
    const out = r.stdout + r.stderr
    noLeak(t, out, args.join(' '))
    t.match(out, /has no event \\?"\$\{env:CR_PLANTED\}\\?"/, 'the unknown event is named by its reference')
    t.match(out, /unknown variable <\$\{env:CR_PLANTED\}>/, 'the unknown variable is named by its reference')
  }
})

/** The console's API over a real HTTP server, with the fixture's configuration. */
async function consoleApi(t: Test, fx: Fixture): Promise<(method: string, path: string, body?: unknown) => Promise<{ status: number; text: string }>> {
  let config: LoadedConfig = await loadConfig({ configFile: fx.configFile })
  const dispatcher = createDispatcher({ allow: ['127.0.0.0/8'] })
  const handler = createConsoleHandler({
    getConfig: () => config,
    reload: async () => {
      config = await loadConfig({ configFile: fx.configFile })
    },
    testCallback: (p) => sendTestCallback(p, config.registry, { deliverer: createDeliverer({ dispatcher, maxResponseBytes: 4096 }) }),
    token: TOKEN,
    env: process.env,
  })
  const server: Server = createServer((req, res) => void handler(req, res))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
    await dispatcher.close()
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return async (method, path, body) => {
    const res = await fetch(`${base}/console${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: res.status, text: await res.text() }
  }
}

t.test("the console's Test answers with references: the URL, the error and the receiver's echo", async (t) => {
  const ep = await echoEndpoint(t)
  const fx = await createFixture({ profiles: [profile('plain', `${ep.url}/plain`)] })
  t.teardown(() => fx.close())
  const call = await consoleApi(t, fx)

  // A host made of a variable of the daemon's environment: resolution fails, the URL comes back.
  const byHost = await call('POST', '/api/test', { raw: profile('probe', 'http://${env:CR_PLANTED_HOST}.invalid/${env:CR_PLANTED}?k=${env:CR_PLANTED}') })
  t.equal(byHost.status, 200)
  noLeak(t, byHost.text, 'the Test answer for an env host')
  const outcome = JSON.parse(byHost.text) as { ok: boolean; request: { url: string }; error: string | null }
  t.equal(outcome.ok, false)
  t.equal(outcome.request.url, 'http://${env:CR_PLANTED_HOST}.invalid/${env:CR_PLANTED}?k=${env:CR_PLANTED}', 'request.url shows the references')

  // A refused address named by a variable: the same.
  const refused = await call('POST', '/api/test', { raw: profile('probe', 'http://${env:CR_REFUSED_HOST}:9/x') })
  noLeak(t, refused.text, 'the Test answer for a refused env address')
  t.match(JSON.parse(refused.text), { ok: false, error: 'address_refused', request: { url: 'http://${env:CR_REFUSED_HOST}:9/x' } })

  // The receiver echoes the header that carried the secret.
  const echoed = await call('POST', '/api/test', { raw: profile('probe', `${ep.url}/echo`, { headers: { 'X-Api-Key': '${env:CR_PLANTED}' } }) })
  t.equal(ep.requests.at(-1)?.headers['x-api-key'], PLANTED.CR_PLANTED, 'the receiver did get the secret (it is theirs)')
  noLeak(t, echoed.text, "the Test answer with the receiver's echo")
  t.match(JSON.parse(echoed.text), { ok: true, responseExcerpt: /\$\{env:CR_PLANTED\}/ })

  // An invalid profile in the form: the 422 of Test and of save.
  const test422 = await call('POST', '/api/test', { raw: profile('probe', `${ep.url}/x`, hostileFields) })
  t.equal(test422.status, 422)
  noLeak(t, test422.text, "Test's 422")
  t.match(test422.text, /\$\{env:CR_PLANTED\}/)
  const save422 = await call('POST', '/api/profiles', { raw: profile('hostile', `${ep.url}/x`, hostileFields) })
  t.equal(save422.status, 422)
  noLeak(t, save422.text, "save's 422")
  t.match(save422.text, /\$\{env:CR_PLANTED\}/)
})

t.test('`test` and `test --json` print references, not values, even when the receiver echoes them', async (t) => {
  const ep = await echoEndpoint(t)
  const fx = await createFixture({
    profiles: [
      profile('echo', `${ep.url}/echo/\${env:CR_PLANTED}`, { account: '${env:CR_PLANTED}', headers: { 'X-Api-Key': '${env:CR_PLANTED}' } }),
      profile('env-host', 'http://${env:CR_PLANTED_HOST}.invalid/x'),
      profile('env-refused', 'http://${env:CR_REFUSED_HOST}:9/x'),
    ],
  })
  t.teardown(() => fx.close())
  const list = await runCli(['-c', fx.configFile, 'profiles', '--json'])
  noLeak(t, list.stdout + list.stderr, 'profiles --json')
  t.match(JSON.parse(list.stdout), [{ id: 'echo', account: '${env:CR_PLANTED}' }], 'an account from a variable is listed as its reference')
  for (const id of ['echo', 'env-host', 'env-refused']) {
    for (const json of [[], ['--json']]) {
      const r = await runCli(['-c', fx.configFile, 'test', id, ...json])
      t.equal(r.code, id === 'echo' ? 0 : 1, `test ${id} ${json.join('')} exit code`)
      noLeak(t, r.stdout + r.stderr, `test ${id} ${json.join('')}`)
    }
  }
})

/** A pino destination kept in memory: the daemon's log, line by line. */
function memoryLog(): { stream: Writable; text: () => string } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString())
      done()
    },
  })
  return { stream, text: () => chunks.join('') }
}

t.test('dead letters, attempt records, the reload-refused log and the debug log hold references; a refused host is named', async (t) => {
  const ep = await echoEndpoint(t, 500)
  const fx = await createFixture({
    profiles: [
      profile('env-refused', 'http://${env:CR_REFUSED_HOST}:9/x', { account: 'refused-env', retry: { count: 0 } }),
      profile('literal-refused', 'http://10.1.2.3:9/x', { account: 'refused-literal', retry: { count: 0 } }),
      profile('env-dns', 'http://${env:CR_PLANTED_HOST}.invalid/x', { account: 'dns', retry: { count: 0, timeoutMs: 3000 } }),
      profile('echo-500', `${ep.url}/echo`, { account: 'echo', headers: { 'X-Api-Key': '${env:CR_PLANTED}' }, retry: { count: 0 } }),
    ],
  })
  t.teardown(() => fx.close())
  const log = memoryLog()
  const daemon = await startDaemon({ configFile: fx.configFile, logger: createLogger('debug', log.stream) })
  t.teardown(() => daemon.stop())

  const data = sampleData(new PluginRegistry(builtins).eventSpec('sms', 'sms-send')!)
  const events = [
    ['evt_env_refused', 'refused-env'],
    ['evt_lit_refused', 'refused-literal'],
    ['evt_dns', 'dns'],
    ['evt_echo', 'echo'],
  ]
  for (const [id, account] of events) await fx.publish('sms', 'sms-send', { id, account, data })
  const dead = await eventually(async () => {
    const rows = await listDeadLetters(fx.js, fx.jsm)
    return rows.length >= events.length ? rows : undefined
  }, 60_000)
  const byProfile = new Map(dead.map((d) => [d.profile, d]))
  t.equal(byProfile.get('env-refused')?.reason, 'address_refused')
  t.match(byProfile.get('env-refused')?.detail, /refused \$\{env:CR_REFUSED_HOST\}/, 'a host from a variable is named by its reference')
  t.match(byProfile.get('literal-refused')?.detail, /refused 10\.1\.2\.3/, 'a literal host is named')
  t.notMatch(byProfile.get('literal-refused')?.detail, /refused address_refused/)
  noLeak(t, JSON.stringify(dead), 'the dead letters as read from the stream')

  // The attempt log is published in batches: wait until every event's record is there.
  const records = await eventually(async () => {
    const all = []
    for (const [id] of events) all.push(...(await readAttempts(fx.js, fx.jsm, id)))
    return new Set(all.map((r) => r.eventId)).size === events.length ? all : undefined
  }, 30_000)
  t.ok(records.length >= events.length, 'every event has its attempt record')
  noLeak(t, JSON.stringify(records), 'the attempt records')

  const cli = (args: string[]) => runCli(['-c', fx.configFile, ...args, '--nats', fx.nats.url])
  const outputs: Array<[string, string]> = []
  for (const args of [['dead-letters', 'list', '--json'], ['dead-letters', 'list'], ['dead-letters', 'show', String(byProfile.get('env-refused')?.id), '--json'], ['attempts', 'evt_env_refused', '--json'], ['attempts', 'evt_dns', '--json']]) {
    const r = await cli(args)
    t.equal(r.code, 0, args.join(' '))
    outputs.push([args.join(' '), r.stdout + r.stderr])
  }
  for (const [where, text] of outputs) noLeak(t, text, where)

  // A profile that quotes a secret in an error makes the reload refuse: its log line and answer.
  await writeFile(join(fx.profilesDir, 'hostile.json'), JSON.stringify(profile('hostile', `${ep.url}/x`, hostileFields)))
  const reload = await daemon.reload()
  t.equal(reload.ok, false)
  noLeak(t, reload.errors.join('\n'), 'the reload answer')
  t.match(reload.errors.join('\n'), /\$\{env:CR_PLANTED\}/)
  await eventually(() => log.text().includes('reload refused'), 10_000)
  noLeak(t, log.text(), 'the daemon log at debug level')
  t.match(log.text(), /dead letter/, 'the log holds the dead letters that were looked at')
})

t.test('one cause, one message: the shipped config without DEMO_* variables gives one error per missing value', async (t) => {
  for (const k of Object.keys(process.env)) if (k.startsWith('DEMO_')) delete process.env[k]
  const dir = join(ROOT, 'config', 'profiles')
  let references = 0
  for (const f of await readdir(dir)) references += ((await readFile(join(dir, f), 'utf8')).match(/\$\{env:DEMO_[A-Z_]+\}/g) ?? []).length
  const r = await runCli(['-c', join(ROOT, 'config', 'callback-router.json'), 'validate', '--json'])
  t.equal(r.code, 1)
  const doc = JSON.parse(r.stdout) as { diagnostics: Array<{ code: string; pointer: string; file: string; message: string }> }
  t.ok(doc.diagnostics.length > 0, 'the shipped profiles refer to DEMO_* variables')
  t.same(
    doc.diagnostics.filter((d) => d.code !== 'CONFIG_ENV_MISSING'),
    [],
    'no schema error restates an empty value',
  )
  t.equal(doc.diagnostics.length, references, `${references} missing values, as many errors`)
  const keys = doc.diagnostics.map((d) => `${d.file}:${d.pointer}`)
  t.equal(new Set(keys).size, keys.length, 'one error per place')
})
