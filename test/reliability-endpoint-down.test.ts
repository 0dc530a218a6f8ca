// An endpoint down under load, then back, with the breaker on: its events are held, not
// dead-lettered, and all delivered once it is back; another tenant's events go through
// beside it (the small version of `npm run chaos`'s endpoint-down scenario).
import t from 'tap'
import { endpointDownScenario } from './chaos/endpoint-down'

t.test("an endpoint down for 4 s under load: its events are held, then all delivered (lost 0, dead letters 0); another tenant's events are delivered while it is down", async (t) => {
  const r = await endpointDownScenario({ downSeconds: 4, aRatePerSecond: 50, bEvents: 200, besideAfterSeconds: 1, breakerFailures: 10, breakerOpenSeconds: 1 })
  t.comment(JSON.stringify({ ...r, checks: undefined }))
  t.equal(r.lost, 0, 'lost = 0')
  t.same(r.dead, {}, 'dead letters = 0')
  for (const c of r.checks) t.ok(c.ok, c.name, { detail: c.detail })
})
