// Two daemons share one health state (KV CALLBACK_PROFILE_STATE): the breaker opens on the
// failures both saw together, and a pause made through the CLI is obeyed by both.
import t from 'tap'
import type { Daemon } from '../core/daemon/start'
import { createFixture, eventually, profile, runCli } from './helpers/daemon-fixture'
import { startEndpoint } from './helpers/endpoint'
import { heldOf, smsEvent } from './helpers/health'
import { ProfileStates } from '../core/daemon/profile-state'
import { STREAMS } from '../core/jetstream/streams'

async function failedAttempts(d: Daemon): Promise<number> {
  const m = await d.metrics.getSingleMetric('callback_router_deliveries_total')?.get()
  return (m?.values ?? []).filter((v) => v.labels.outcome === 'failed').reduce((a, v) => a + v.value, 0)
}

t.test('two daemons: the breaker opens on failures seen by both; a pause through the CLI holds on both; resume delivers everything once', async (t) => {
  let healthy = false
  const ep = await startEndpoint({ behaviour: () => (healthy ? { status: 200 } : { status: 503, body: 'down' }) })
  const f = await createFixture({
    profiles: [profile('acme-shared', `${ep.url}/hook`, { retry: { count: 3, intervalSeconds: 10 }, rateLimit: { perSecond: 100, maxConcurrent: 1 }, health: { breakerFailures: 6, breakerOpenSeconds: 120 } })],
  })
  t.teardown(async () => {
    await f.close()
    await ep.close()
  })
  const a = await f.start()
  const b = await f.start()
  const states = await ProfileStates.open(f.js, { replicas: 1, watch: true })
  t.teardown(() => states.stop())

  // One event at a time, each attempted before the next, until the breaker opens.
  let sent = 0
  while (states.get('acme-shared').state === 'closed' && sent < 30) {
    await f.publish('sms', 'sms-send', smsEvent(`c-${sent}`, 'acme-shared'))
    sent++
    await eventually(async () => (await failedAttempts(a)) + (await failedAttempts(b)) >= sent || states.get('acme-shared').state !== 'closed', 10_000)
    await eventually(() => states.get('acme-shared').failures >= sent || states.get('acme-shared').state !== 'closed', 10_000)
  }
  const fa = await failedAttempts(a)
  const fb = await failedAttempts(b)
  t.equal(states.get('acme-shared').state, 'open')
  t.equal(fa + fb, 6, `exactly breakerFailures attempts in all (daemon A ${fa}, daemon B ${fb})`)
  t.ok(fa > 0 && fb > 0, 'both daemons saw some of the failures')
  t.equal(ep.requests.length, 6)

  healthy = true
  const resumed = await runCli(['--config', f.configFile, 'profiles', 'resume', 'acme-shared'])
  t.equal(resumed.code, 0, resumed.stderr)
  // The one held event at once; the retries scheduled before the breaker opened at their time (10 s).
  await eventually(() => new Set(ep.requests.filter((r) => r.index >= 6).map((r) => r.headers['webhook-id'])).size === sent, 45_000, 100)

  const paused = await runCli(['--config', f.configFile, 'profiles', 'pause', 'acme-shared'])
  t.equal(paused.code, 0, paused.stderr)
  const before = ep.requests.length
  for (let i = 0; i < 20; i++) await f.publish('sms', 'sms-send', smsEvent(`p-${i}`, 'acme-shared'))
  await eventually(async () => (await heldOf(f.jsm, 'acme-shared')) === 20, 20_000, 100)
  t.equal(ep.requests.length, before, 'paused through the CLI: neither daemon sent any of the 20')
  // The events' acks go out in batches, a moment after their jobs are held: wait for them.
  const taken = await eventually(async () => {
    const info = await f.jsm.consumers.info(STREAMS.events, 'events')
    return info.num_pending + info.num_ack_pending === 0
  }, 10_000, 100)
  t.ok(taken, 'both daemons took events from the stream, held them and acked the events')

  const again = await runCli(['--config', f.configFile, 'profiles', 'resume', 'acme-shared'])
  t.equal(again.code, 0, again.stderr)
  await eventually(() => ep.requests.length === before + 20, 20_000, 100)
  const ids = ep.requests.slice(before).map((r) => String(r.headers['webhook-id']))
  t.equal(new Set(ids).size, 20, 'every paused event delivered once after the resume')
  t.equal((await f.jsm.streams.info(STREAMS.dead)).state.messages, 0, 'no dead letters')
})
