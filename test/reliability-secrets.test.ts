// The small version of one `npm run chaos` scenario (test/chaos/security.ts).
import t from 'tap'
import { secretsScenario } from './chaos/security'

t.test("a full flow at debug level with header, basic, OAuth2, encryption and signing secrets prints none of them; header injection is refused at load", async (t) => {
  const r = await secretsScenario()
  t.comment(JSON.stringify({ ...r, checks: undefined }))
  t.equal(r.lost, 0, 'lost = 0')
  for (const c of r.checks) t.ok(c.ok, c.name, { detail: c.detail })
})
