// The small version of one `npm run chaos` scenario (test/chaos/security.ts).
import t from 'tap'
import { tenantScenario } from './chaos/security'

t.test("an event of one account naming another account's profile, or an account mismatch in any form, produces no request and a dead letter", async (t) => {
  const r = await tenantScenario({ rounds: 1 })
  t.comment(JSON.stringify({ ...r, checks: undefined }))
  t.equal(r.lost, 0, 'lost = 0')
  for (const c of r.checks) t.ok(c.ok, c.name, { detail: c.detail })
})
