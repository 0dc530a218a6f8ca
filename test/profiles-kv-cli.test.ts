// The KV profile store from the command line: push (checked like validate, all or nothing,
// compare-and-set), pull, history, and the listings reading the active store. Real nats-server.
import t from 'tap'
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'nats'
import { NatsServer } from './helpers/nats-server'
import { runCli } from './helpers/daemon-fixture'

function profile(id: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, title: `KV profile ${id}`, account: 'acme', channel: 'sms', endpoint: 'http://127.0.0.1:9/cb?id=<id>', headers: { 'X-Api-Key': '${env:KV_TEST_KEY}' }, ...fields }
}

t.test('profiles push / pull / history against a real bucket', async (t) => {
  const nats = await NatsServer.start()
  const dir = await mkdtemp(join(tmpdir(), 'cr-kv-cli-'))
  t.teardown(async () => {
    await nats.close()
    await rm(dir, { recursive: true, force: true })
  })
  const folder = join(dir, 'profiles')
  await mkdir(folder)
  const config = join(dir, 'callback-router.json')
  await writeFile(config, JSON.stringify({ nats: { servers: [nats.url] }, profilesDir: './profiles', profileStore: 'kv', network: { allow: ['127.0.0.0/8'] } }))
  const env = { KV_TEST_KEY: 'secret-value-123' }
  const cli = (...args: string[]) => runCli(['--config', config, ...args], env)
  const write = (name: string, body: unknown) => writeFile(join(folder, name), typeof body === 'string' ? body : JSON.stringify(body, null, 2))

  await write('a.json', profile('a'))
  await write('b.json', profile('b'))
  await write('bad.json', profile('bad', { method: 'GET', body: { x: 1 }, retry: { count: 99 } }))

  const refused = await cli('profiles', 'push', '--json')
  t.equal(refused.code, 1, 'one bad file: exit 1')
  t.match(refused.stderr, /bad\.json:\/body: /, 'file:pointer messages like validate')
  t.match(refused.stderr, /bad\.json:\/retry\/count: /)
  t.match(refused.stderr, /nothing written/)
  t.equal(refused.stdout, '', 'no JSON document for a refused push')
  const nc = await connect({ servers: nats.url })
  t.teardown(() => nc.close())
  const jsm = await nc.jetstreamManager()
  t.notOk((await jsm.streams.names().next()).includes('KV_CALLBACK_PROFILES'), 'nothing was written (not even the bucket)')

  await rm(join(folder, 'bad.json'))
  const pushed = await cli('profiles', 'push', '--json')
  t.equal(pushed.code, 0, pushed.stderr)
  const first = JSON.parse(pushed.stdout)
  t.same({ ...first, revision: typeof first.revision }, { created: ['a', 'b'], updated: [], deleted: [], unchanged: 0, revision: 'number' })
  t.equal(first.revision, 2)
  const kv = await nc.jetstream().views.kv('CALLBACK_PROFILES', { bindOnly: true })
  const stored = JSON.parse(new TextDecoder().decode((await kv.get('a'))!.value))
  t.equal(stored.headers['X-Api-Key'], '${env:KV_TEST_KEY}', 'the value is stored as written: ${env:…} unexpanded')

  const again = JSON.parse((await cli('profiles', 'push', '--json')).stdout)
  t.same(again, { created: [], updated: [], deleted: [], unchanged: 2, revision: 2 }, 'a second push writes nothing')

  await write('a.json', profile('a', { title: 'KV profile a changed' }))
  await rm(join(folder, 'b.json'))
  const dry = JSON.parse((await cli('profiles', 'push', '--prune', '--dry-run', '--json')).stdout)
  t.same(dry, { created: [], updated: ['a'], deleted: ['b'], unchanged: 0, revision: 2 }, 'dry run: the plan')
  t.equal((await kv.status()).streamInfo.state.last_seq, 2, 'dry run: nothing written')

  const text = await cli('profiles', 'push', '--prune')
  t.equal(text.code, 0, text.stderr)
  t.match(text.stdout, /updated a\ndeleted b\n0 unchanged; store revision 4/)

  // Three reads of the same state, started together (each spawn costs more than its work).
  const out = join(dir, 'pulled')
  const [historyRun, listed, pulled] = await Promise.all([cli('profiles', 'history', 'b', '--json'), cli('profiles', '--json'), cli('profiles', 'pull', out)])
  const history = JSON.parse(historyRun.stdout)
  t.same(history.map((h: { revision: number; operation: string }) => [h.revision, h.operation]), [[2, 'put'], [4, 'delete']])
  t.match(history[0].at, /^\d{4}-\d\d-\d\dT/)

  t.equal(listed.code, 0, listed.stderr)
  t.same(JSON.parse(listed.stdout).map((r: { id: string; title: string }) => [r.id, r.title]), [['a', 'KV profile a changed']], '`profiles` lists the bucket')
  t.notMatch(listed.stdout + listed.stderr, /secret-value-123/)

  t.equal(pulled.code, 0, pulled.stderr)
  t.same(await readdir(out), ['a.json'])
  t.same(JSON.parse(await readFile(join(out, 'a.json'), 'utf8')), profile('a', { title: 'KV profile a changed' }), 'pull gives back the file as written')

  // A value put around push that fails the checks: validate reports it at kv:CALLBACK_PROFILES/<id>.
  await kv.put('c', new TextEncoder().encode(JSON.stringify(profile('c', { endpoint: 'ftp://x' }))))
  const broken = await cli('validate')
  t.equal(broken.code, 1)
  t.match(broken.stderr, /kv:CALLBACK_PROFILES\/c:\/endpoint: /)
})
