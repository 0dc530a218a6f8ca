import t from 'tap'
import { allocate, ClusterView, DEFAULT_TIMING } from '../core/delivery/cluster-shares'
import { createSharedLimiter, type SharedLimiter } from '../core/delivery/shared-limiter'
import type { Release } from '../core/delivery/rate-limit'
import { maxInWindow } from './helpers/windows'

t.test('allocate: one token each when there are enough, the rest to the members waiting, the remainder rotating', async (t) => {
  const m = ['a', 'b', 'c']
  t.same([...allocate(30, m, new Set(), 0).values()], [10, 10, 10], 'nobody waiting: an even split')
  t.same([...allocate(30, m, new Set(['a']), 0).values()], [28, 1, 1], 'only a waits: it gets all but the others\' one each')
  t.same([...allocate(6, m, new Set(['a', 'b']), 0).values()], [3, 2, 1])
  const turns = [0, 1, 2].map((e) => [...allocate(2, m, new Set(m), e).values()])
  t.same(turns, [[1, 1, 0], [0, 1, 1], [1, 0, 1]], 'fewer tokens than members: each epoch another member sits out')
  for (const e of [0, 1, 2, 3]) t.equal([...allocate(1, m, new Set(m), e).values()].reduce((a, b) => a + b), 1, 'never more than the total')
  t.same([...allocate(1, m, new Set(['b']), 7).values()], [0, 1, 0], 'a single waiting member gets the only token')
})

interface SimDaemon {
  id: string
  view: ClusterView
  limiter: SharedLimiter
  pending: number
  inFlight: Array<{ end: number; release: Release }>
  alive: boolean
  beatOffset: number
}

/**
 * Several daemons on one fake clock: heartbeats every second reach every view at once, each
 * daemon starts what its limiter lets it, requests take `latencyMs`. Returns the start times.
 */
function simulate(opts: { perSecond: number; maxConcurrent: number; latencyMs: number; untilMs: number; events: (t: number, d: SimDaemon[], add: (id: string, at: number) => SimDaemon) => void; ids?: string[] }) {
  let clock = 0
  const starts: number[] = []
  const inFlightSamples: number[] = []
  const daemons: SimDaemon[] = []
  const add = (id: string, at: number): SimDaemon => {
    const view = new ClusterView(id, DEFAULT_TIMING)
    const d: SimDaemon = { id, view, limiter: createSharedLimiter('p', { perSecond: opts.perSecond, maxConcurrent: opts.maxConcurrent }, view, { now: () => clock, wallNow: () => clock, guardMs: 0 }), pending: 0, inFlight: [], alive: true, beatOffset: at % 1000 }
    daemons.push(d)
    const entries = daemons.filter((x) => x.alive).map((x) => ({ id: x.id, seenAt: at, wants: new Set<string>(), over: {} }))
    view.initialize(entries, at)
    for (const o of daemons) if (o !== d && o.alive) o.view.upsert({ id, seenAt: at, wants: new Set(), over: {} }, at)
    return d
  }
  for (const id of opts.ids ?? ['a', 'b', 'c']) add(id, 0)
  for (clock = 0; clock <= opts.untilMs; clock += 5) {
    opts.events(clock, daemons, add)
    const live = daemons.filter((d) => d.alive)
    for (const d of live) {
      if ((clock - d.beatOffset) % 1000 === 0) {
        const need = d.limiter.need()
        const hb = { id: d.id, seenAt: clock, wants: new Set(d.limiter.wanting() ? ['p'] : []), over: (d.limiter.over() ? { p: d.limiter.over() } : {}) as Record<string, number>, need: (need ? { p: need } : {}) as Record<string, readonly [number, number]> }
        for (const o of live) o.view.upsert(hb, clock)
        for (const o of live) o.view.refresh(clock)
      }
    }
    let inFlight = 0
    for (const d of daemons) {
      d.inFlight = d.inFlight.filter((r) => (r.end <= clock ? (r.release(), false) : true))
      while (d.alive && d.pending > 0) {
        const r = d.limiter.tryAcquire()
        if (!r) break
        r.started()
        starts.push(clock)
        d.pending--
        d.inFlight.push({ end: clock + opts.latencyMs, release: r })
      }
      inFlight += d.inFlight.length
    }
    inFlightSamples.push(inFlight)
  }
  return { starts, maxInFlight: Math.max(...inFlightSamples), daemons, add }
}

t.test('three daemons, perSecond 30 and maxConcurrent 6, events landing unevenly: the sum holds and nothing waits for ever', async (t) => {
  const sim = simulate({
    perSecond: 30,
    maxConcurrent: 6,
    latencyMs: 40,
    untilMs: 30_000,
    events: (clock, d) => {
      if (clock === 0) {
        d[0].pending = 400
        d[1].pending = 150
        d[2].pending = 50
      }
    },
  })
  t.equal(sim.starts.length, 600, 'all 600 started')
  t.ok(maxInWindow(sim.starts, 1000) <= 30, `at most 30 starts in any second (saw ${maxInWindow(sim.starts, 1000)})`)
  t.ok(sim.maxInFlight <= 6, `at most 6 in flight (saw ${sim.maxInFlight})`)
  const last = Math.max(...sim.starts)
  t.ok(last <= (600 / 30) * 1.25 * 1000, `the last started at ${last} ms (bound ${(600 / 30) * 1.25 * 1000})`)
})

for (const perSecond of [1, 2]) {
  t.test(`perSecond ${perSecond} across three daemons (slower than the number of daemons): never more than ${perSecond} in a second, every daemon served`, async (t) => {
    const sim = simulate({
      perSecond,
      maxConcurrent: 2,
      latencyMs: 30,
      untilMs: 60_000,
      events: (clock, d) => {
        if (clock === 0) {
          d[0].pending = 12
          d[1].pending = 3
          d[2].pending = 1
        }
      },
    })
    t.equal(sim.starts.length, 16, 'all 16 started, none starved')
    t.ok(maxInWindow(sim.starts, 1000) <= perSecond, `max ${maxInWindow(sim.starts, 1000)} in a second`)
  })
}

t.test('a daemon that stops heartbeating loses its share after aliveMs; one that joins grows only after the delay', async (t) => {
  const sim = simulate({
    perSecond: 30,
    maxConcurrent: 6,
    latencyMs: 20,
    untilMs: 30_000,
    events: (clock, d, add) => {
      if (clock === 0) for (const x of d) x.pending = 150
      // kill -9: no more heartbeats and no more starts (JetStream gives its events to the others)
      if (clock === 4000) {
        d[2].alive = false
        d[0].pending += d[2].pending
        d[2].pending = 0
      }
      if (clock === 6000) add('d', clock).pending = 100
    },
  })
  t.equal(sim.starts.length, 550, 'every event started once, the dead daemon\'s on the others')
  const joinedAt = 6000
  const window = sim.starts.filter((s) => s >= joinedAt - 1000)
  t.ok(maxInWindow(sim.starts, 1000) <= 30, `the sum never exceeded the limit (max ${maxInWindow(sim.starts, 1000)} in a second)`)
  t.ok(window.length > 0)
  t.ok(sim.maxInFlight <= 6, `at most 6 in flight (saw ${sim.maxInFlight})`)
})
