// The small version of one `npm run chaos` scenario (test/chaos/security.ts).
import t from 'tap'
import { hostileInputScenario } from './chaos/security'

// A daemon, its console and nine CLI processes: minutes on a loaded 2-core machine.
t.setTimeout(600_000)

t.test('hostile input: planted secrets never come back (console, CLI, dead letters, attempts, logs) and dot segments never climb the path', async (t) => {
  const r = await hostileInputScenario({ rounds: 1 })
  t.comment(JSON.stringify({ ...r, checks: undefined }))
  t.equal(r.lost, 0, 'lost = 0')
  for (const c of r.checks) t.ok(c.ok, c.name, { detail: c.detail })
})
