import t from 'tap'
import { CLOSED, MAX_OPEN_MS, claimProbe, effectiveHealth, gate, onFailure, onSuccess, onTick, parseState, pause, resume, type HealthPolicy, type HealthState } from '../core/delivery/breaker'

const policy: HealthPolicy = { breakerFailures: 5, breakerOpenSeconds: 2, pauseAfterMinutes: 1, holdHours: 1, pauseOnGone: true }
const fail = { gone: false, probe: false }
const T0 = 1_000_000

function failTimes(s: HealthState, n: number, now = T0): HealthState {
  for (let i = 0; i < n; i++) s = onFailure(s, now, policy, fail).next
  return s
}

t.test('effective health: the profile overrides the settings key by key, defaults under both', async (t) => {
  t.same(effectiveHealth(undefined, undefined), { breakerFailures: 20, breakerOpenSeconds: 30, pauseAfterMinutes: 1440, holdHours: 72, pauseOnGone: true })
  t.same(effectiveHealth({ breakerFailures: 10, holdHours: 5 }, { breakerFailures: 3, pauseOnGone: false }), { breakerFailures: 3, breakerOpenSeconds: 30, pauseAfterMinutes: 1440, holdHours: 5, pauseOnGone: false })
})

t.test('closed: failures count up; the breakerFailures-th consecutive failure opens the breaker', async (t) => {
  const four = failTimes(CLOSED, 4)
  t.equal(four.state, 'closed')
  t.equal(four.failures, 4)
  const fifth = onFailure(four, T0, policy, fail)
  t.equal(fifth.next.state, 'open')
  t.equal(fifth.next.reason, 'consecutive_failures')
  t.equal(fifth.next.probeAt, T0 + 2000)
  t.same(fifth.event, { name: 'breaker_opened', reason: 'consecutive_failures' })
})

t.test('a success clears the count (and writes nothing when there is nothing to clear)', async (t) => {
  t.equal(onSuccess(CLOSED, T0), null)
  const cleared = onSuccess(failTimes(CLOSED, 3), T0)
  t.equal(cleared?.next.failures, 0)
  t.equal(cleared?.event, undefined)
  t.equal(failTimes(cleared!.next, 4).state, 'closed', 'the count starts over: 4 more do not open it')
})

t.test('breakerFailures 0: no breaker at all', async (t) => {
  let s = CLOSED
  for (let i = 0; i < 100; i++) s = onFailure(s, T0, { ...policy, breakerFailures: 0 }, fail).next
  t.equal(s.state, 'closed')
})

t.test('open: deliveries hold until probeAt, then exactly one probe may be claimed', async (t) => {
  const open = failTimes(CLOSED, 5)
  t.equal(gate(open, T0), 'hold')
  t.equal(gate(open, T0 + 1999), 'hold')
  t.equal(claimProbe(open, T0 + 1999, 10_000), null)
  t.equal(gate(open, T0 + 2000), 'probe')
  const claimed = claimProbe(open, T0 + 2000, 10_000)!.next
  t.equal(gate(claimed, T0 + 2001), 'hold', 'a claimed probe holds everyone else')
  t.equal(claimProbe(claimed, T0 + 2001, 10_000), null)
  t.equal(gate(claimed, T0 + 12_000), 'probe', 'a prober that died: its claim runs out')
})

t.test('a failed probe doubles the open time, up to 10 minutes', async (t) => {
  let s = failTimes(CLOSED, 5)
  const gaps: number[] = []
  let now = T0
  for (let i = 0; i < 12; i++) {
    now = s.probeAt
    s = onFailure(claimProbe(s, now, 1000)!.next, now, { ...policy, pauseAfterMinutes: 0 }, { gone: false, probe: true }).next
    gaps.push(s.probeAt - now)
  }
  t.same(gaps.slice(0, 5), [4000, 8000, 16000, 32000, 64000])
  t.equal(Math.max(...gaps), MAX_OPEN_MS)
  t.equal(s.state, 'open')
  t.equal(s.reason, 'probe_failed')
})

t.test('a 2xx probe closes the breaker with a clean count', async (t) => {
  const open = failTimes(CLOSED, 5)
  const closed = onSuccess(claimProbe(open, T0 + 2000, 1000)!.next, T0 + 2100)
  t.equal(closed?.next.state, 'closed')
  t.equal(closed?.next.failures, 0)
  t.same(closed?.event, { name: 'breaker_closed', reason: 'probe_succeeded' })
  t.equal(gate(closed!.next, T0 + 2100), 'send')
})

t.test('a failure in flight while open does not move the probe time', async (t) => {
  const open = failTimes(CLOSED, 5)
  const later = onFailure(open, T0 + 500, policy, fail)
  t.equal(later.next.probeAt, open.probeAt)
  t.equal(later.event, undefined)
})

t.test('410 Gone pauses at once (pauseOnGone), from closed or open; not with pauseOnGone false', async (t) => {
  const gone = { gone: true, probe: false }
  const p = onFailure(CLOSED, T0, policy, gone)
  t.equal(p.next.state, 'paused')
  t.equal(p.next.reason, 'gone')
  t.same(p.event, { name: 'paused', reason: 'gone' })
  t.equal(onFailure(failTimes(CLOSED, 5), T0, policy, { gone: true, probe: true }).next.state, 'paused')
  t.equal(onFailure(CLOSED, T0, { ...policy, pauseOnGone: false }, gone).next.state, 'closed')
  t.equal(onFailure(p.next, T0, policy, gone).event, undefined, 'already paused: no second event')
})

t.test('open for pauseAfterMinutes pauses: at a failed probe, or at a tick between probes', async (t) => {
  const open = failTimes(CLOSED, 5)
  t.equal(onTick(open, T0 + 59_999, policy), null)
  const ticked = onTick(open, T0 + 60_000, policy)
  t.equal(ticked?.next.state, 'paused')
  t.equal(ticked?.next.reason, 'open_too_long')
  const probed = onFailure(open, T0 + 61_000, policy, { gone: false, probe: true })
  t.equal(probed.next.state, 'paused')
  t.equal(onTick(open, T0 + 10 ** 9, { ...policy, pauseAfterMinutes: 0 }), null, 'pauseAfterMinutes 0: never')
})

t.test('paused holds everything; a success in flight keeps it paused; resume closes it', async (t) => {
  const p = pause(CLOSED, T0)!
  t.same(p.event, { name: 'paused', reason: 'operator' })
  t.equal(gate(p.next, T0 + 10 ** 9), 'hold')
  t.equal(pause(p.next, T0), null, 'pausing twice changes nothing')
  const after = onSuccess({ ...p.next, failures: 2 }, T0)
  t.equal(after?.next.state, 'paused')
  const r = resume(p.next, T0 + 5)!
  t.equal(r.next.state, 'closed')
  t.equal(r.next.reason, null)
  t.same(r.event, { name: 'resumed', reason: 'operator' })
  t.equal(resume(CLOSED, T0), null)
  t.equal(resume(failTimes(CLOSED, 5), T0)?.next.state, 'closed', 'resume also closes an open breaker')
})

t.test('a stored state that cannot be read counts as closed', async (t) => {
  t.same(parseState('not json'), CLOSED)
  t.same(parseState('{"state":"weird"}'), CLOSED)
  t.equal(parseState(JSON.stringify({ state: 'paused', reason: 'operator' })).state, 'paused')
})
