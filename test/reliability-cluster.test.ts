// A three-node NATS cluster with R3 streams, two daemons on different nodes, one node
// killed -9 and brought back mid-flow (the small version of `npm run chaos`).
import t from 'tap'
import { clusterScenario } from './chaos/nats-faults'

t.test('kill -9 of a cluster node mid-flow: two daemons on different nodes lose nothing', async (t) => {
  const r = await clusterScenario({ events: 240, ratePerSecond: 100, downMs: 2500 })
  t.comment(JSON.stringify({ ...r, checks: undefined }))
  t.equal(r.lost, 0, 'lost = 0')
  for (const c of r.checks) t.ok(c.ok, c.name, { detail: c.detail })
})
