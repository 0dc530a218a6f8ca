// With profileStore "kv" the daemons read profiles from NATS: the console refuses to read
// or write profile files (no daemon would read them) and says how to change profiles.
import t from 'tap'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, mkdir, readdir, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../core/config/settings'
import { createConsoleHandler } from '../core/console/handler'

const TOKEN = 'console-kv-token-0123456789abcdef'

t.test('with the KV store, the console answers 409 CONSOLE_KV_STORE to every profile read and write, and writes no file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'console-kv-'))
  const profilesDir = join(dir, 'profiles')
  await mkdir(profilesDir)
  const settingsFile = join(dir, 'callback-router.json')
  await writeFile(settingsFile, JSON.stringify({ profilesDir: './profiles', profileStore: 'kv', console: { enabled: true } }))
  const config = await loadConfig({ configFile: settingsFile, env: process.env })
  t.equal(config.settings.profileStore, 'kv')
  let reloads = 0
  const handler = createConsoleHandler({
    getConfig: () => config,
    reload: async () => {
      reloads++
    },
    testCallback: async () => {
      throw new Error('not used')
    },
    token: TOKEN,
    env: process.env,
  })
  const server: Server = createServer((req, res) => void handler(req, res))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
    await rm(dir, { recursive: true, force: true })
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/console/api`
  const profile = { id: 'kv-one', title: 'KV one', account: 'acme', channel: 'sms', endpoint: 'https://hooks.example/x', retry: { count: 0 } }
  const calls: Array<[string, string, unknown]> = [
    ['POST', '/profiles', profile],
    ['GET', '/profiles/kv-one', undefined],
    ['PUT', '/profiles/kv-one', profile],
    ['DELETE', '/profiles/kv-one', undefined],
    ['POST', '/profiles/kv-one/enabled', { enabled: false }],
  ]
  for (const [method, path, body] of calls) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    t.equal(res.status, 409, `${method} ${path}: 409`)
    const answer = (await res.json()) as { code?: string; error?: string }
    t.equal(answer.code, 'CONSOLE_KV_STORE', `${method} ${path}: the code says why`)
    t.match(answer.error, /profiles push/, 'and what to do instead')
  }
  t.same(await readdir(profilesDir), [], 'no profile file was written')
  t.equal(reloads, 0, 'nothing was reloaded')
})
