// A never-answering endpoint and a failing one do not slow other profiles (the small
// version of `npm run chaos`).
import t from 'tap'
import { isolationScenario } from './chaos/isolation'

t.test("a hanging endpoint (attempts to their timeout) and a 503 endpoint with waiting retries do not hold back another profile's deliveries", async (t) => {
  const r = await isolationScenario({ fast: 200, slow: 12, flappy: 20, slowTimeoutMs: 8000, slowRetries: 0, maxConcurrent: 4, concurrency: 8 })
  t.comment(JSON.stringify({ ...r, checks: undefined }))
  t.equal(r.lost, 0, 'lost = 0')
  for (const c of r.checks) t.ok(c.ok, c.name, { detail: c.detail })
})
