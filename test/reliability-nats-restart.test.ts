// NATS stopped and started on the same store mid-flow (the small version of `npm run chaos`).
import t from 'tap'
import { natsRestartScenario } from './chaos/nats-faults'

t.test('a NATS restart mid-flow: the daemon reconnects by itself, /readyz shows outage and recovery, nothing is lost', async (t) => {
  const r = await natsRestartScenario({ events: 240, ratePerSecond: 100, outageMs: 1500 })
  t.comment(JSON.stringify({ ...r, checks: undefined }))
  t.equal(r.lost, 0, 'lost = 0')
  for (const c of r.checks) t.ok(c.ok, c.name, { detail: c.detail })
})
