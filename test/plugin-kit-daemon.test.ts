// A plugin written by `plugin new`, listed in "plugins" of the settings, receives a
// published event end to end: real nats-server, real HTTP endpoint, the daemon in-process.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { scaffoldPlugin } from '../core/cli/plugin-scaffold'
import { createPublisher } from '../core/client'
import type { ChannelPlugin } from '../core/plugin/contract'
import { startEndpoint } from './helpers/endpoint'
import { createFixture, profile } from './helpers/daemon-fixture'

t.test('the scaffolded plugin, listed in the settings, receives a published event end to end', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'cr-kit-daemon-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const dir = join(root, 'rcs')
  await scaffoldPlugin('rcs', dir)
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  const fx = await createFixture({
    settings: { plugins: [dir] },
    profiles: [profile('acme-rcs', `${ep.url}/rcs?id=<id>`, { channel: 'rcs', events: ['message_status'], body: { id: '<id>', status: '<status>', final: '<final>', code: '<error.code>' } })],
  })
  t.teardown(() => fx.close())
  await fx.start()
  // The publisher client takes the same module, so its schema checks the data before sending.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the scaffold is plain CommonJS, loaded as the daemon loads it
  const rcs = require(dir) as ChannelPlugin
  const publisher = createPublisher<{ rcs: { message_status: Record<string, unknown> } }>({ nc: fx.nc, plugins: [rcs] })
  await t.rejects(publisher.publish('rcs', 'message_status', { account: 'acme', data: { id: 'msg_1', to: '+1', status: 'seen' } }), { code: 'PUBLISH_INVALID_PAYLOAD', where: '/data/status' })
  const ack = await publisher.publish('rcs', 'message_status', { id: 'evt_rcs_1', account: 'acme', data: { id: 'msg_1', to: '+14155550123', status: 'read', error: { code: '0' } } })
  t.equal(ack.duplicate, false)
  const [req] = await ep.waitFor(1, 20_000)
  t.equal(req.path, '/rcs?id=msg_1')
  t.equal(req.headers['webhook-id'], 'evt_rcs_1:acme-rcs')
  t.same(JSON.parse(req.body.toString('utf8')), { id: 'msg_1', status: 'read', final: true, code: '0' }, "toVariables' derived variable keeps its type")
})
