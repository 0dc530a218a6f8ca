// One rateLimit for the whole cluster (DESIGN "Profiles": rateLimit, "Several daemons"):
// three daemons on a three-node NATS cluster share a profile of perSecond 30, maxConcurrent 6.
// The receiver never sees more than 30 request starts in a sliding second nor more than 6 in
// flight, and the 600 events all arrive within 600/30 × 1.25 s of the first.
import t from 'tap'
import { connect } from 'nats'
import { PluginRegistry } from '../core/plugin/registry'
import { sampleData } from '../core/plugin/sample-data'
import { builtins } from '../plugins'
import { createClusterStack } from './helpers/cluster-stack'
import { startEndpoint } from './helpers/endpoint'
import { eventually } from './helpers/daemon-fixture'
import { maxInWindow } from './helpers/windows'
import { favourThisTest } from './helpers/priority'

const data = sampleData(new PluginRegistry(builtins).eventSpec('sms', 'sms-send')!)

t.test('three daemons share one limit: perSecond 30 and maxConcurrent 6 over 600 events, then perSecond 2 over 20 (slower than the number of daemons)', async (t) => {
  t.comment(favourThisTest() ? 'running at raised priority (see helpers/priority.ts)' : 'running at normal priority')
  // 150 ms per answer: 30 a second need 4.5 in flight, so both limits are in play.
  const ep = await startEndpoint({ behaviour: { delayMs: 150 } })
  const stack = await createClusterStack()
  t.teardown(async () => {
    await stack.close()
    await ep.close()
  })
  await stack.writeProfile({ id: 'shared-30', title: 'Shared limit 30', account: 'acme', channel: 'sms', endpoint: `${ep.url}/cb?id=<id>`, rateLimit: { perSecond: 30, maxConcurrent: 6 } })
  await stack.addDaemons(3)
  const pushed = await stack.cli('profiles', 'push', '--json')
  t.equal(pushed.code, 0, pushed.stderr)
  const { revision } = JSON.parse(pushed.stdout) as { revision: number }
  await eventually(async () => (await stack.readyDocs()).every((d) => d?.profilesRevision === revision), 10_000)

  const nc = await connect({ servers: stack.servers })
  t.teardown(() => nc.close())
  const js = nc.jetstream()
  const N = 600
  for (let i = 0; i < N; i += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, j) => js.publish('callbacks.sms.sms-send', Buffer.from(JSON.stringify({ id: `evt_rl_${i + j}`, account: 'acme', data })), { msgID: `evt_rl_${i + j}` })))
  }
  await ep.waitFor(N, 90_000)
  const starts = ep.requests.map((r) => r.startedAt)
  const first = Math.min(...starts)
  const last = Math.max(...ep.requests.map((r) => r.receivedAt))
  const ids = new Set(ep.requests.map((r) => String(r.headers['webhook-id'])))
  t.equal(ids.size, N, 'all 600 arrived')
  t.ok(maxInWindow(starts) <= 30, `at most 30 request starts in any sliding second (saw ${maxInWindow(starts)})`)
  t.ok(ep.maxInFlight <= 6, `at most 6 in flight (saw ${ep.maxInFlight})`)
  const bound = (N / 30) * 1.25 * 1000
  t.ok(last - first <= bound, `all arrived ${Math.round(last - first)} ms after the first (bound ${bound} ms)`)
  const perSecond = Array.from({ length: Math.ceil((last - first) / 1000) }, (_, k) => starts.filter((x) => x >= first + k * 1000 && x < first + (k + 1) * 1000).length)
  t.comment(`starts per second: ${perSecond.join(' ')}`)
  t.comment(JSON.stringify({ spanMs: Math.round(last - first), maxPerSecond: maxInWindow(starts), maxInFlight: ep.maxInFlight, perDaemon: stack.daemons.length }))

  // A profile slower than the number of daemons: perSecond 2 across 3 (tokens rotate).
  const slow = await startEndpoint()
  t.teardown(() => slow.close())
  await stack.writeProfile({ id: 'shared-2', title: 'Shared limit 2', account: 'slow', channel: 'sms', endpoint: `${slow.url}/cb?id=<id>`, rateLimit: { perSecond: 2, maxConcurrent: 2 } })
  const again = await stack.cli('profiles', 'push', '--json')
  const rev2 = (JSON.parse(again.stdout) as { revision: number }).revision
  await eventually(async () => (await stack.readyDocs()).every((d) => d?.profilesRevision === rev2), 10_000)
  const M = 20
  await Promise.all(Array.from({ length: M }, (_, i) => js.publish('callbacks.sms.sms-send', Buffer.from(JSON.stringify({ id: `evt_slow_${i}`, account: 'slow', data })), { msgID: `evt_slow_${i}` })))
  await slow.waitFor(M, 60_000)
  const slowStarts = slow.requests.map((r) => r.startedAt)
  t.equal(new Set(slow.requests.map((r) => String(r.headers['webhook-id']))).size, M, 'all 20 delivered')
  t.ok(maxInWindow(slowStarts) <= 2, `never more than 2 in a sliding second (saw ${maxInWindow(slowStarts)})`)
  t.comment(JSON.stringify({ slowSpanMs: Math.round(Math.max(...slowStarts) - Math.min(...slowStarts)) }))
})
