// Hot reload: a change in profilesDir (or reload()) swaps the profiles; an invalid set is
// refused with file:pointer errors and the last good set stays; deliveries in flight keep
// the profile they started with; a profile disabled while a retry waits ends it.
import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PluginRegistry } from '../core/plugin/registry'
import { builtins } from '../plugins'
import { sampleData } from '../core/plugin/sample-data'
import { listDeadLetters } from '../core/jetstream/dead-letters'
import { STREAMS } from '../core/jetstream/streams'
import { nanos } from 'nats'
import { startEndpoint } from './helpers/endpoint'
import { createFixture, profile, eventually, sleep } from './helpers/daemon-fixture'

const registry = new PluginRegistry(builtins)
const data = sampleData(registry.eventSpec('sms', 'sms-send')!)

async function metric(text: Promise<string>, pattern: RegExp): Promise<number> {
  const m = (await text).match(pattern)
  return m ? Number(m[1]) : 0
}

t.test('a file change reloads; an invalid set is refused with file:pointer errors and the last good set stays', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  const fx = await createFixture({ profiles: [profile('first', `${ep.url}/first`)] })
  t.teardown(() => fx.close())
  const d = await fx.start()

  await fx.writeProfile(profile('second', `${ep.url}/second`, { account: 'beta' }))
  await eventually(() => d.config().profiles.some((p) => p.profile.id === 'second'), 5000)
  t.pass('a new file is picked up by the watcher')

  await writeFile(join(fx.profilesDir, 'broken.json'), JSON.stringify({ id: 'broken', title: 'x', account: 'acme', channel: 'sms', endpoint: 'ftp://nope' }))
  const r = await d.reload()
  t.equal(r.ok, false, 'the invalid set is refused')
  t.match(r.errors.join('\n'), /broken\.json:\/(title|endpoint)/, 'errors name file and pointer')
  t.same(d.config().profiles.map((p) => p.profile.id).sort(), ['first', 'second'], 'the last good set stays')
  t.ok((await metric(d.metrics.metrics(), /callback_router_config_reloads_total\{result="failure"\} (\d+)/)) >= 1, 'refusals are counted')

  await fx.publish('sms', 'sms-send', { id: 'evt_during_bad', account: 'beta', data })
  const [req] = await ep.waitFor(1)
  t.equal(req.pathname, '/second', 'deliveries go on with the last good set')

  await fx.removeProfile('broken')
  const ok = await d.reload()
  t.equal(ok.ok, true)

  // ack_wait follows the longest attempt timeout of the loaded set: 2 × timeout + 5 s.
  await fx.writeProfile(profile('slow', `${ep.url}/slow`, { account: 'slow', retry: { timeoutMs: 20000 } }))
  t.equal((await d.reload()).ok, true)
  for (const [stream, durable] of [[STREAMS.events, 'events'], [STREAMS.jobs, 'jobs'], [STREAMS.jobs, 'retries']]) {
    const info = await fx.jsm.consumers.info(stream, durable)
    t.equal(info.config.ack_wait, nanos(45_000), `${durable}: ack_wait raised on reload`)
    t.equal(info.config.max_deliver, -1)
    t.notOk(info.config.backoff?.length, 'no backoff list')
  }
  t.equal((await fx.jsm.consumers.info(STREAMS.jobs, 'retries')).config.max_ack_pending, -1, 'retries have no pending limit')
})

t.test('a delivery in flight keeps the profile it started with', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  ep.setBehaviour({ delayMs: 800 }, '/old')
  const fx = await createFixture({ profiles: [profile('moving', `${ep.url}/old`)] })
  t.teardown(() => fx.close())
  const d = await fx.start()
  await fx.publish('sms', 'sms-send', { id: 'evt_inflight', account: 'acme', data })
  await eventually(() => ep.inFlight === 1)
  await fx.writeProfile(profile('moving', `${ep.url}/new`))
  t.equal((await d.reload()).ok, true)
  await eventually(() => ep.inFlight === 0 && ep.requests.length === 1)
  await sleep(1000)
  t.same(ep.requests.map((r) => r.pathname), ['/old'], 'finished on the old profile, not sent again')
  await fx.publish('sms', 'sms-send', { id: 'evt_after', account: 'acme', data })
  const reqs = await ep.waitFor(2)
  t.equal(reqs[1].pathname, '/new', 'the next event uses the new profile')
})

t.test('a profile disabled while its retry waits ends the retry as profile_removed', async (t) => {
  const ep = await startEndpoint({ behaviour: { status: 500 } })
  t.teardown(() => ep.close())
  const fx = await createFixture({ profiles: [profile('fading', `${ep.url}/f`, { retry: { count: 2, intervalSeconds: 1 } })] })
  t.teardown(() => fx.close())
  const d = await fx.start()
  await fx.publish('sms', 'sms-send', { id: 'evt_fading', account: 'acme', data })
  await ep.waitFor(1)
  await fx.writeProfile(profile('fading', `${ep.url}/f`, { enabled: false, retry: { count: 2, intervalSeconds: 1 } }))
  t.equal((await d.reload()).ok, true)
  const dead = await eventually(async () => (await listDeadLetters(fx.js, fx.jsm)).find((x) => x.eventId === 'evt_fading'))
  t.equal(dead.reason, 'profile_removed')
  t.equal(dead.attempts, 1)
  t.equal(ep.requests.length, 1, 'no further attempt')
})
