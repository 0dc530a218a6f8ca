// A daemon killed -9 and another started while three daemons share one rateLimit (DESIGN
// "Several daemons"): nothing is lost, and at the receiver the limit is exceeded by at most
// one daemon's share, only within 5 s of the kill or the join; it holds everywhere else.
import t from 'tap'
import { sharedLimitScenario } from './chaos/shared-limits'
import { favourThisTest } from './helpers/priority'

t.test('kill -9 of one of three daemons sharing perSecond 20 / maxConcurrent 4, and a new daemon started: nothing lost, the limit exceeded by at most one share and only within 5 s', async (t) => {
  t.comment(favourThisTest() ? 'running at raised priority (see helpers/priority.ts)' : 'running at normal priority')
  const r = await sharedLimitScenario({ events: 240, ratePerSecond: 32, perSecond: 20, maxConcurrent: 4, answerDelayMs: 60, fault: 'daemon', faultAfter: 0.3, natsNodes: 1 })
  for (const n of r.notes) t.comment(n)
  t.equal(r.lost, 0, 'lost = 0')
  t.equal(r.delivered, r.units, `all ${r.units} delivered (${r.duplicates} duplicates)`)
  for (const c of r.checks) t.ok(c.ok, c.name, { detail: c.detail })
})
