// The small version of one `npm run chaos` scenario (test/chaos/security.ts).
import t from 'tap'
import { ssrfScenario } from './chaos/security'

t.test("the SSRF matrix: loopback in every spelling, a name resolving to loopback and a redirect to loopback are refused unless allow-listed; other ranges on the decision function", async (t) => {
  const r = await ssrfScenario()
  t.comment(JSON.stringify({ ...r, checks: undefined }))
  t.equal(r.lost, 0, 'lost = 0')
  for (const c of r.checks) t.ok(c.ok, c.name, { detail: c.detail })
})
