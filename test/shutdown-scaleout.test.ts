// Two daemon processes on one NATS share the work, each event delivered once per profile;
// SIGTERM mid-flow finishes in-flight deliveries and exits 0, nothing lost, nothing sent
// twice; SIGHUP reloads the profiles.
import t from 'tap'
import { PluginRegistry } from '../core/plugin/registry'
import { builtins } from '../plugins'
import { sampleData } from '../core/plugin/sample-data'
import { STREAMS } from '../core/jetstream/streams'
import { startEndpoint } from './helpers/endpoint'
import { createFixture, profile, eventually, sleep, spawnCli } from './helpers/daemon-fixture'

const registry = new PluginRegistry(builtins)
const data = sampleData(registry.eventSpec('sms', 'sms-send')!)

t.test('two daemons deliver each event once per profile; SIGTERM mid-flow loses and repeats nothing', async (t) => {
  const ep = await startEndpoint({ behaviour: { delayMs: 15 } })
  t.teardown(() => ep.close())
  const fx = await createFixture({
    logLevel: 'info',
    // A 5 s attempt timeout: with 1 s, a busy machine (load 15) let an answer come late, the
    // attempt time out and its retry send the event again, which is the policy, not a repeat.
    settings: { delivery: { concurrency: 16, defaultTimeoutMs: 5000, shutdownGraceSeconds: 10 } },
    profiles: [profile('so-a', `${ep.url}/a`, { account: 'fan' }), profile('so-b', `${ep.url}/b`, { account: 'fan' }), profile('so-solo', `${ep.url}/solo`, { account: 'solo' })],
  })
  t.teardown(() => fx.close())
  const daemons = [0, 1].map(() => spawnCli(['-c', fx.configFile, 'start', '--nats', fx.nats.url]))
  t.teardown(() => {
    for (const d of daemons) if (d.proc.exitCode === null) d.proc.kill('SIGKILL')
  })
  await eventually(() => daemons.every((d) => d.stdout().includes('daemon started')), 30_000)

  const N = 150
  const expected = new Set<string>()
  for (let i = 0; i < N; i++) {
    await fx.publish('sms', 'sms-send', { id: `evt_fan_${i}`, account: 'fan', data })
    await fx.publish('sms', 'sms-send', { id: `evt_solo_${i}`, account: 'solo', data })
    expected.add(`evt_fan_${i}:so-a`).add(`evt_fan_${i}:so-b`).add(`evt_solo_${i}:so-solo`)
  }
  await eventually(() => ep.requests.length >= 100, 30_000)
  daemons[0].proc.kill('SIGTERM')
  const code = await daemons[0].exited
  t.equal(code, 0, 'the stopped daemon exits 0')
  t.match(daemons[0].stdout(), /"msg":"stopped"/)

  await eventually(() => new Set(ep.requests.map((r) => String(r.headers['webhook-id']))).size >= expected.size, 40_000)
  await sleep(1500)
  const ids = ep.requests.map((r) => String(r.headers['webhook-id']))
  t.equal(new Set(ids).size, expected.size, 'every event reached every profile')
  t.same([...expected].filter((x) => !ids.includes(x)), [], 'nothing lost')
  const twice = ep.requests.filter((r, i) => ids.indexOf(String(r.headers['webhook-id'])) !== i)
  t.equal(ids.length, expected.size, 'nothing sent twice', { twice: twice.map((r) => `${String(r.headers['webhook-id'])} at ${Math.round(r.receivedAt)}`) })

  daemons[1].proc.kill('SIGHUP')
  await eventually(() => daemons[1].stdout().includes('profiles reloaded'), 10_000)
  t.pass('SIGHUP reloads the profiles')

  daemons[1].proc.kill('SIGTERM')
  t.equal(await daemons[1].exited, 0)
  t.equal((await fx.jsm.streams.info(STREAMS.events)).state.messages, 0, 'no event left behind')
  t.equal((await fx.jsm.streams.info(STREAMS.jobs)).state.messages, 0, 'no job left behind')
})

t.test('two daemons with parked retries make each attempt exactly once', async (t) => {
  const ep = await startEndpoint({ behaviour: { status: 503 } })
  t.teardown(() => ep.close())
  const fx = await createFixture({ profiles: [profile('twice', `${ep.url}/r`, { retry: { count: 2, intervalSeconds: 0.4 } })] })
  t.teardown(() => fx.close())
  await fx.start()
  await fx.start()
  const N = 30
  for (let i = 0; i < N; i++) await fx.publish('sms', 'sms-send', { id: `evt_two_${i}`, account: 'acme', data })
  await ep.waitFor(3 * N, 20_000)
  await sleep(1500)
  const per = new Map<string, number>()
  for (const r of ep.requests) per.set(String(r.headers['webhook-id']), (per.get(String(r.headers['webhook-id'])) ?? 0) + 1)
  t.equal(per.size, N)
  t.same([...per.values()].filter((n) => n !== 3), [], 'three attempts per event, no more')
})
