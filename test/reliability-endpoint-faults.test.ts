// Endpoint faults follow the retry policy exactly (the small version of `npm run chaos`).
import t from 'tap'
import { endpointFaultsScenario } from './chaos/endpoint-faults'

t.test('5xx, 429 Retry-After, timeouts, resets, endless and huge responses, exponential backoff, an endpoint down then back: exact attempts, never early, nothing lost', async (t) => {
  const r = await endpointFaultsScenario({ perFault: 2, hugeBodyBytes: 8 * 1048576 })
  t.comment(JSON.stringify({ ...r, checks: undefined }))
  t.equal(r.lost, 0, 'lost = 0')
  for (const c of r.checks) t.ok(c.ok, c.name, { detail: c.detail })
})
