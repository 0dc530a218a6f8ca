// Fuzzing the daemon with fast-check (the small version of `npm run chaos`).
import t from 'tap'
import { fuzzScenario } from './chaos/fuzz'

t.test('random profiles, templates, envelopes, payloads and raw bytes: no crash, no stall, every bad input dead-lettered with a reason, neighbours keep flowing', async (t) => {
  const r = await fuzzScenario({ messages: 200, profiles: 30, seed: Number(process.env.FUZZ_SEED ?? 7) })
  t.comment(JSON.stringify({ ...r, checks: undefined }))
  t.equal(r.lost, 0, 'lost = 0')
  for (const c of r.checks) t.ok(c.ok, c.name, { detail: c.detail })
})
