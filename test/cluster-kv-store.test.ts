// The KV profile store across three daemons on a three-node NATS cluster: a refused push
// writes nothing, a good push reaches every daemon within 2 s (their /readyz revisions agree),
// a bad value put straight into the bucket is refused by each daemon for that profile only.
import t from 'tap'
import { connect } from 'nats'
import { createClusterStack } from './helpers/cluster-stack'
import { startEndpoint } from './helpers/endpoint'
import { eventually } from './helpers/daemon-fixture'

import { PluginRegistry } from '../core/plugin/registry'
import { sampleData } from '../core/plugin/sample-data'
import { builtins } from '../plugins'

const data = sampleData(new PluginRegistry(builtins).eventSpec('sms', 'sms-send')!)

t.test('profiles push and raw bucket writes, seen by three daemons', async (t) => {
  const ep = await startEndpoint()
  const stack = await createClusterStack()
  t.teardown(async () => {
    await stack.close()
    await ep.close()
  })
  const sms = (id: string, path: string, fields: Record<string, unknown> = {}) => ({ id, title: `Cluster ${id}`, account: 'acme', channel: 'sms', endpoint: `${ep.url}${path}?id=<id>`, ...fields })
  await stack.writeProfile(sms('kv-a', '/a'))
  await stack.writeProfile(sms('kv-b', '/b'))
  await stack.writeProfile(sms('kv-bad', '/bad', { method: 'GET', body: { x: '<id>' } }))

  const refused = await stack.cli('profiles', 'push')
  t.equal(refused.code, 1, 'a folder with one bad file: exit 1')
  t.match(refused.stderr, /kv-bad\.json:\/body: /, 'with file:pointer messages')

  await stack.addDaemons(3)
  const docs0 = await stack.readyDocs()
  t.same(docs0.map((d) => d?.profilesRevision), [0, 0, 0], 'nothing was written: every daemon is at revision 0')

  await stack.writeProfile(sms('kv-bad', '/bad'))
  const pushed = await stack.cli('profiles', 'push', '--json')
  t.equal(pushed.code, 0, pushed.stderr)
  const { revision, created } = JSON.parse(pushed.stdout) as { revision: number; created: string[] }
  t.same(created, ['kv-a', 'kv-b', 'kv-bad'])
  const pushedAt = Date.now()
  await eventually(async () => (await stack.readyDocs()).every((d) => d?.profilesRevision === revision), 10_000, 25)
  const tookMs = Date.now() - pushedAt
  t.ok(tookMs <= 2000, `all three daemons report revision ${revision} ${tookMs} ms after the push returned (at most 2000)`)
  for (const d of stack.daemons) {
    t.equal(await stack.metric(d, 'callback_router_daemons'), 3, 'callback_router_daemons = 3')
    t.equal(await stack.metric(d, 'callback_router_profiles_revision'), revision, 'callback_router_profiles_revision')
  }

  const nc = await connect({ servers: stack.servers })
  t.teardown(() => nc.close())
  const js = nc.jetstream()
  await js.publish('callbacks.sms.sms-send', Buffer.from(JSON.stringify({ id: 'evt_kv_1', account: 'acme', profile: 'kv-a', data })), { msgID: 'evt_kv_1' })
  await ep.waitFor(1, 15_000)
  t.equal(ep.requests[0].pathname, '/a', 'a pushed profile delivers')

  // Around push: a value that fails the checks, and one that is fine.
  const kv = await js.views.kv('CALLBACK_PROFILES', { bindOnly: true })
  const bad = await kv.put('kv-a', new TextEncoder().encode(JSON.stringify(sms('kv-a', '/a-new', { endpoint: 'ftp://127.0.0.1/x' }))))
  const good = await kv.put('kv-b', new TextEncoder().encode(JSON.stringify(sms('kv-b', '/b2'))))
  await eventually(async () => (await stack.readyDocs()).every((d) => d?.profilesRevision === good), 10_000, 25)
  t.ok(good > bad)
  for (const d of stack.daemons) t.equal(await stack.metric(d, 'callback_router_profiles_refused_total'), 1, 'each daemon refused the bad value (counted)')
  const logs = stack.daemons.map((d) => d.process.output)
  t.ok(logs.every((l) => /kv:CALLBACK_PROFILES\/kv-a:\/endpoint/.test(l)), 'and logged it with its pointer')

  for (let i = 2; i <= 7; i++) {
    const profile = i % 2 ? 'kv-a' : 'kv-b'
    await js.publish('callbacks.sms.sms-send', Buffer.from(JSON.stringify({ id: `evt_kv_${i}`, account: 'acme', profile, data })), { msgID: `evt_kv_${i}` })
  }
  await ep.waitFor(7, 15_000)
  const paths = ep.requests.slice(1).map((r) => r.pathname).sort()
  t.same(paths, ['/a', '/a', '/a', '/b2', '/b2', '/b2'], 'kv-a kept its last good version on every daemon; kv-b took its new one')
})
