// The daemon's two long-lived KV watches (CALLBACK_PROFILES, CALLBACK_DAEMONS) outlive their
// buckets' streams. Deleted: each watch ends (its stream check finds the stream gone, before
// nats.js's ordered consumer would fail on its missed idle heartbeats), the daemon counts the
// restart, recreates CALLBACK_DAEMONS (its heartbeats need it), keeps its profiles until
// CALLBACK_PROFILES is pushed again, then applies that bucket's state as the whole set.
// Deleted and recreated at once (another daemon, a push): nats.js would resume after the old
// stream's last sequence and skip the new content; the check sees a new stream instead.
// A NATS restarted on a wiped store loses both buckets at once: the same paths, after a reconnect.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { Daemon } from '../core/daemon/start'
import { PluginRegistry } from '../core/plugin/registry'
import { sampleData } from '../core/plugin/sample-data'
import { openProfileBucket } from '../core/jetstream/profile-bucket'
import { builtins } from '../plugins'
import { startEndpoint } from './helpers/endpoint'
import { createFixture, eventually, profile } from './helpers/daemon-fixture'

const data = sampleData(new PluginRegistry(builtins).eventSpec('sms', 'sms-send')!)
const enc = new TextEncoder()

async function metric(d: Daemon, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = d.metrics.getSingleMetric(name)
  const values = m ? (await m.get()).values : []
  return values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0
}

/** An endpoint, a fixture with the KV profile store, a profile under a shared rateLimit, and a raw put into CALLBACK_PROFILES. */
async function kvStack(t: Test) {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  const fx = await createFixture({ settings: { profileStore: 'kv' } })
  t.teardown(() => fx.close())
  const limited = (path: string) => profile('limited', `${ep.url}${path}`, { rateLimit: { perSecond: 20, maxConcurrent: 2 } })
  const put = async (p: Record<string, unknown>): Promise<number> => (await openProfileBucket(fx.js, 1)).put(String(p.id), enc.encode(JSON.stringify(p)))
  return { ep, fx, limited, put }
}

/** How often the watch of `bucket` was started again. */
const restarts = (d: Daemon, bucket: string) => metric(d, 'callback_router_kv_watch_restarts_total', { bucket })

t.test('both KV watches start again after their streams are deleted: a profile pushed to the recreated bucket is applied, one deleted meanwhile is gone, and a shared rateLimit still delivers', async (t) => {
  const { ep, fx, limited, put } = await kvStack(t)
  await put(limited('/before'))
  const before = await put(profile('dropped', `${ep.url}/dropped`))
  const daemon = await fx.start()
  t.equal(daemon.ready().profilesRevision, before, 'the daemon starts at the bucket revision')
  await fx.publish('sms', 'sms-send', { id: 'evt_before', account: 'acme', profile: 'limited', data })
  await ep.waitFor(1, 15_000)

  const deletedAt = Date.now()
  await fx.jsm.streams.delete('KV_CALLBACK_PROFILES')
  await fx.jsm.streams.delete('KV_CALLBACK_DAEMONS')
  await eventually(async () => (await restarts(daemon, 'CALLBACK_PROFILES')) >= 1 && (await restarts(daemon, 'CALLBACK_DAEMONS')) >= 1, 30_000, 50)
  t.comment(`both watches ended and were counted ${Date.now() - deletedAt} ms after the streams were deleted`)
  t.ok(await eventually(() => fx.jsm.streams.info('KV_CALLBACK_DAEMONS').catch(() => undefined), 10_000, 50), 'the daemon recreated CALLBACK_DAEMONS')
  await eventually(async () => (await metric(daemon, 'callback_router_daemons')) === 1, 10_000, 50)
  t.pass('and sees itself alive in it again (callback_router_daemons = 1)')
  t.equal(daemon.ready().profilesRevision, before, 'while CALLBACK_PROFILES is missing, the profiles in use stay')
  t.same(daemon.config().profiles.map((p) => p.profile.id).sort(), ['dropped', 'limited'])

  // A push recreates CALLBACK_PROFILES, holding only `limited` now; revisions count from 1 again.
  const after = await put(limited('/after'))
  t.ok(after < before, `the recreated bucket is at revision ${after}, below ${before}`)
  await eventually(() => daemon.ready().profilesRevision === after && daemon.config().profiles.length === 1, 15_000, 50)
  t.same(daemon.config().profiles.map((p) => p.profile.id), ['limited'], 'the new snapshot is the set: `dropped` is gone')
  t.equal(await metric(daemon, 'callback_router_profiles_revision'), after, 'callback_router_profiles_revision follows')
  await fx.publish('sms', 'sms-send', { id: 'evt_after', account: 'acme', profile: 'limited', data })
  const delivered = await eventually(() => ep.requests.find((r) => r.headers['webhook-id'] === 'evt_after:limited'), 15_000)
  t.equal(delivered.pathname, '/after', 'the event is delivered with the pushed value, under its shared rateLimit (the share is not stuck at 0)')

  // Deleted and pushed again at once: a new stream whose revisions restart below the old ones.
  const filler = await put(profile('filler', `${ep.url}/filler`))
  await eventually(() => daemon.ready().profilesRevision === filler && daemon.config().profiles.length === 2, 15_000, 50)
  const restarted = await restarts(daemon, 'CALLBACK_PROFILES')
  await fx.jsm.streams.delete('KV_CALLBACK_PROFILES')
  const replacedAt = Date.now()
  const again = await put(limited('/again'))
  await eventually(() => daemon.ready().profilesRevision === again && daemon.config().profiles.length === 1, 15_000, 50)
  t.comment(`the replaced bucket's content applied ${Date.now() - replacedAt} ms after the push`)
  t.ok((await restarts(daemon, 'CALLBACK_PROFILES')) > restarted, 'the watch of the replaced stream was started again')
  await fx.publish('sms', 'sms-send', { id: 'evt_again', account: 'acme', profile: 'limited', data })
  const third = await eventually(() => ep.requests.find((r) => r.headers['webhook-id'] === 'evt_again:limited'), 15_000)
  t.equal(third.pathname, '/again', 'and the value pushed into the replaced bucket delivers')
})

t.test('NATS restarted on a wiped store: the daemon recreates CALLBACK_DAEMONS, keeps its profiles until they are pushed again, and delivers under a shared rateLimit', async (t) => {
  const { ep, fx, limited, put } = await kvStack(t)
  await put(limited('/before'))
  const daemon = await fx.start()

  await fx.nats.stop()
  await rm(join(fx.nats.storeDir, 'jetstream'), { recursive: true, force: true })
  const restartedAt = Date.now()
  await fx.nats.start()
  await eventually(async () => (await restarts(daemon, 'CALLBACK_DAEMONS')) >= 1 && (await metric(daemon, 'callback_router_daemons')) === 1 && fx.jsm.streams.info('KV_CALLBACK_DAEMONS').catch(() => false), 30_000, 50)
  t.comment(`CALLBACK_DAEMONS recreated, the daemon alive in it, ${Date.now() - restartedAt} ms after the restart`)
  t.ok((await restarts(daemon, 'CALLBACK_PROFILES')) >= 1, 'the watch of CALLBACK_PROFILES ended too, and waits for the bucket')
  t.same(daemon.config().profiles.map((p) => p.profile.id), ['limited'], 'the profiles in use stay')

  // The events stream comes back through the daemon's topology check; publish once it takes events.
  await eventually(() => fx.publish('sms', 'sms-send', { id: 'evt_wiped', account: 'acme', profile: 'limited', data }).catch(() => undefined), 20_000, 200)
  const kept = await eventually(() => ep.requests.find((r) => r.headers['webhook-id'] === 'evt_wiped:limited'), 20_000)
  t.equal(kept.pathname, '/before', 'an event after the wipe is delivered with the kept profile, under its shared rateLimit')

  const pushed = await put(limited('/pushed'))
  // The old bucket was at revision 1 too: wait for the value itself.
  await eventually(() => daemon.ready().profilesRevision === pushed && String(daemon.config().profiles[0]?.profile.endpoint).includes('/pushed'), 15_000, 50)
  await fx.publish('sms', 'sms-send', { id: 'evt_pushed', account: 'acme', profile: 'limited', data })
  const fresh = await eventually(() => ep.requests.find((r) => r.headers['webhook-id'] === 'evt_pushed:limited'), 15_000)
  t.equal(fresh.pathname, '/pushed', 'and the profile pushed into the recreated bucket is applied')
})
