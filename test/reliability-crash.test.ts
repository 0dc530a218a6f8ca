// kill -9 of the daemon while events flow (the small version of `npm run chaos`).
import t from 'tap'
import { crashScenario } from './chaos/crash'

t.test('kill -9 of the daemon twice mid-flow loses nothing; duplicates only across a kill', async (t) => {
  const r = await crashScenario({ events: 360, kills: 2, ratePerSecond: 150 })
  t.comment(JSON.stringify({ ...r, checks: undefined }))
  t.equal(r.lost, 0, 'lost = 0')
  for (const c of r.checks) t.ok(c.ok, c.name, { detail: c.detail })
})
