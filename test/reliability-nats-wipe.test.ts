// A NATS that comes back empty (a wiped volume, a replaced node): the daemon notices on
// reconnect, /readyz fails naming `streams` while the streams and consumers are missing,
// the daemon recreates them as at start, and a new event is delivered.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { PluginRegistry } from '../core/plugin/registry'
import { builtins } from '../plugins'
import { sampleData } from '../core/plugin/sample-data'
import { STREAMS } from '../core/jetstream/streams'
import { startStatusServer } from '../core/daemon/status-server'
import { startEndpoint } from './helpers/endpoint'
import { createFixture, eventually, profile } from './helpers/daemon-fixture'

const registry = new PluginRegistry(builtins)
const data = sampleData(registry.eventSpec('sms', 'sms-send')!)

interface Probe {
  at: number
  status: number
  failing: string[]
  checks: Record<string, boolean>
}

t.test('NATS restarted on a wiped store: /readyz 503 naming streams, then 200, streams recreated, a new event delivered', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  const fx = await createFixture({ profiles: [profile('wipe', `${ep.url}/w`)] })
  t.teardown(() => fx.close())
  const daemon = await fx.start()
  const status = await startStatusServer(daemon, { host: '127.0.0.1', port: 0 })
  t.teardown(() => status.close())
  const readyz = async (): Promise<Probe> => {
    const r = await fetch(`${status.url}/readyz`)
    const body = (await r.json()) as { failing: string[]; checks: Record<string, boolean> }
    return { at: Date.now(), status: r.status, failing: body.failing, checks: body.checks }
  }
  await eventually(async () => (await readyz()).status === 200, 20_000)
  await fx.publish('sms', 'sms-send', { id: 'evt_before_wipe', account: 'acme', data })
  await ep.waitFor(1, 20_000)

  // Probe /readyz without pause from the outage on, until it is 200 again after the restart.
  let probing = true
  const probes: Probe[] = []
  const prober = (async () => {
    while (probing) probes.push(await readyz())
  })()
  await fx.nats.stop()
  await eventually(() => probes.some((p) => p.status === 503 && p.failing.includes('nats')), 20_000, 10)
  await rm(join(fx.nats.storeDir, 'jetstream'), { recursive: true, force: true })
  const restartedAt = Date.now()
  await fx.nats.start()
  await eventually(() => probes.some((p) => p.at > restartedAt && p.checks.nats && p.status === 200), 60_000, 20)
  probing = false
  await prober

  const afterRestart = probes.filter((p) => p.at > restartedAt && p.checks.nats)
  const missing = afterRestart.filter((p) => p.status === 503 && p.failing.includes('streams'))
  t.comment(`${missing.length} of ${afterRestart.length} probes after the restart named streams`)
  t.ok(missing.length > 0, '/readyz answered 503 naming streams while they were missing', { probes: afterRestart.slice(0, 5) })
  const firstMissing = afterRestart.findIndex((p) => p.failing.includes('streams'))
  const lastMissing = afterRestart.map((p) => p.failing.includes('streams')).lastIndexOf(true)
  t.ok(firstMissing >= 0 && lastMissing < afterRestart.length - 1 && afterRestart[afterRestart.length - 1].status === 200, 'then 200')

  for (const name of Object.values(STREAMS)) t.ok(await fx.jsm.streams.info(name), `${name} exists again`)
  const pub = await eventually(() => fx.publish('sms', 'sms-send', { id: 'evt_after_wipe', account: 'acme', data }).catch(() => undefined), 20_000, 200)
  t.equal(pub.stream, STREAMS.events, 'the event is stored in the recreated CALLBACK_EVENTS')
  await eventually(() => ep.requests.some((r) => r.headers['webhook-id'] === 'evt_after_wipe:wipe'), 30_000)
  t.pass('a new event is delivered after the wipe')
})
