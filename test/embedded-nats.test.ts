import t, { type Test } from 'tap'
import { mkdir, mkdtemp, rm, writeFile, readdir } from 'node:fs/promises'
import { spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'nats'
import { loadSettings, type Settings } from '../core/config/settings'
import { ensureEmbeddedNats, answers, hostPort, NATS_SERVER_MISSING } from '../core/daemon/embedded-nats'
import { freePort, NatsServer } from './helpers/nats-server'
import { cliArgs } from './helpers/cli'

/** Settings read from a real settings file in a temp folder (defaults filled by the loader). */
async function settingsIn(dir: string, nats: Record<string, unknown>): Promise<Settings> {
  const file = join(dir, 'callback-router.json')
  await writeFile(file, JSON.stringify({ nats }))
  const { settings, diagnostics } = await loadSettings(file, {})
  if (!settings) throw new Error(JSON.stringify(diagnostics))
  return settings
}

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cr-embedded-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('starts nats-server with JetStream on the configured port, store under dataDir relative to the settings folder, and stops it', async (t) => {
  const dir = await tempDir(t)
  const port = await freePort()
  const settings = await settingsIn(dir, { servers: [`nats://127.0.0.1:${port}`], embedded: { dataDir: 'store/nats' } })
  const lines: string[] = []
  const nats = await ensureEmbeddedNats(settings, { baseDir: dir, log: (m) => lines.push(m) })
  t.teardown(() => nats.stop())
  t.equal(nats.started, true)
  t.equal(nats.url, `nats://127.0.0.1:${port}`)

  const nc = await connect({ servers: nats.url })
  const jsm = await nc.jetstreamManager()
  await jsm.streams.add({ name: 'EMBEDDED_CHECK', subjects: ['embedded.check'] })
  const ack = await nc.jetstream().publish('embedded.check', new TextEncoder().encode('hi'))
  t.equal(ack.seq, 1, 'JetStream stores messages')
  await nc.close()
  t.ok((await readdir(join(dir, 'store', 'nats'))).includes('jetstream'), 'the store is in dataDir')
  t.match(lines.join('\n'), /starting embedded nats-server on 127\.0\.0\.1:\d+/)

  await nats.stop()
  await nats.stop() // twice is harmless
  t.equal(await answers('127.0.0.1', port, 500), false, 'the port is free again')
})

t.test('does not start anything when a server already answers at the first URL', async (t) => {
  const dir = await tempDir(t)
  const existing = await NatsServer.start()
  t.teardown(() => existing.close())
  const settings = await settingsIn(dir, { servers: [existing.url, 'nats://127.0.0.1:1'], embedded: { dataDir: 'never' } })
  const nats = await ensureEmbeddedNats(settings, { baseDir: dir })
  t.equal(nats.started, false)
  t.equal(nats.url, existing.url)
  await nats.stop()
  t.ok(existing.running, 'stop() leaves a server it did not start alone')
  t.notOk((await readdir(dir)).includes('never'), 'no store was made')
})

t.test('anything that accepts TCP at the URL counts as answering (a connect check, not a NATS handshake)', async (t) => {
  const dir = await tempDir(t)
  const listener = createServer((s) => s.destroy())
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()))
  t.teardown(() => new Promise<void>((r) => listener.close(() => r())))
  const { port } = listener.address() as { port: number }
  const settings = await settingsIn(dir, { servers: [`127.0.0.1:${port}`] })
  const nats = await ensureEmbeddedNats(settings, { baseDir: dir })
  t.equal(nats.started, false)
})

t.test('a missing binary fails with a message that says how to install it', async (t) => {
  const dir = await tempDir(t)
  const port = await freePort()
  const settings = await settingsIn(dir, { servers: [`nats://127.0.0.1:${port}`], embedded: { binary: '/nonexistent/nats-server' } })
  await t.rejects(ensureEmbeddedNats(settings, { baseDir: dir }), { code: 'EMBEDDED_NATS_NOT_FOUND', message: NATS_SERVER_MISSING })
  t.equal(NATS_SERVER_MISSING, 'nats-server not found: install it with apt-get install -y nats-server, or run ./scripts/setup.sh')

  const bare = await settingsIn(dir, { servers: [`nats://127.0.0.1:${port}`], embedded: { binary: 'no-such-nats-server-binary' } })
  await t.rejects(ensureEmbeddedNats(bare, { baseDir: dir }), { code: 'EMBEDDED_NATS_NOT_FOUND' }, 'a bare name is searched in PATH and the sbin folders')
})

t.test('a nats-server that cannot start reports its own log', async (t) => {
  const dir = await tempDir(t)
  // 192.0.2.1 (TEST-NET-1) is no address of this machine: nothing answers and the bind fails.
  const settings = await settingsIn(dir, { servers: ['nats://192.0.2.1:4333'], embedded: { dataDir: 'store' } })
  const err = await ensureEmbeddedNats(settings, { baseDir: dir }).then(
    () => undefined,
    (e: Error & { code?: string }) => e,
  )
  t.equal(err?.code, 'EMBEDDED_NATS_FAILED')
  t.match(err?.message, /exited at start/)
  t.match(err?.message, /192\.0\.2\.1/)
})

t.test('hostPort reads nats://, tls://, bare host:port and bare host URLs', async (t) => {
  t.same(hostPort('nats://127.0.0.1:4333'), { host: '127.0.0.1', port: 4333 })
  t.same(hostPort('tls://nats.example:7422'), { host: 'nats.example', port: 7422 })
  t.same(hostPort('localhost:5000'), { host: 'localhost', port: 5000 })
  t.same(hostPort('nats://user:pass@10.0.0.5'), { host: '10.0.0.5', port: 4222 })
  t.same(hostPort('nats://[::1]:4333'), { host: '::1', port: 4333 })
  t.throws(() => hostPort('nats://bad host'), { code: 'EMBEDDED_NATS_URL' })
})

t.test('start --embedded-nats with a missing binary exits 1 with the install hint', async (t) => {
  const dir = await tempDir(t)
  const port = await freePort()
  const file = join(dir, 'callback-router.json')
  await writeFile(file, JSON.stringify({ nats: { servers: [`nats://127.0.0.1:${port}`], embedded: { binary: '/nonexistent/nats-server' } }, status: { port: 0 } }))
  await mkdir(join(dir, 'profiles'))
  const r = spawnSync(process.execPath, [...cliArgs(), '--config', file, 'start', '--embedded-nats'], {
    encoding: 'utf8',
    cwd: join(__dirname, '..'),
    timeout: 60_000,
  })
  t.equal(r.status, 1, r.stderr)
  t.match(r.stderr, NATS_SERVER_MISSING)
})
