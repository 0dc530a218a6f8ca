// The clock-driven half of endpoint health, in every daemon:
//   - a profile that turns closed (breaker closed by a probe, `profiles resume`) gets its
//     held deliveries released onto its retry subject, which delivers them at its rate;
//     every daemon that sees the change helps (they share the profile's held consumer);
//   - an open breaker whose probe is due gets one held delivery released: the first
//     delivery to reach the gate then claims the probe in KV, so one probe goes out
//     however many daemons nudge; its own timer fires at probeAt, the tick is a backstop;
//   - a breaker open for pauseAfterMinutes pauses the profile;
//   - held deliveries older than holdHours become held_expired dead letters;
//   - the gauges: each profile's state and held count.
// A held delivery stranded while its profile is closed (a success elsewhere reset the
// count after it was held) is released by the next tick.
import { gate, onTick, type HealthState } from '../delivery/breaker'
import { expireHeld, heldCounts, releaseHeld } from '../jetstream/held-jobs'
import { publishOpsEvent } from '../jetstream/ops-events'
import type { HealthDeps, Health } from './health'

const TICK_MS = 1000
/** A probe nudge waits at least this long for its delivery to claim the probe before another. */
const NUDGE_GAP_MS = 2000
const STATES = ['closed', 'open', 'paused'] as const

export interface Keeper {
  stop(): void
}

export function startKeeper(deps: HealthDeps, health: Health): Keeper {
  return new HealthKeeper(deps, health)
}

class HealthKeeper implements Keeper {
  private readonly releasing = new Set<string>()
  private readonly lastNudge = new Map<string, number>()
  private readonly lastSweep = new Map<string, number>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly interval: NodeJS.Timeout
  private readonly unsubscribe: () => void
  private stopped = false
  private ticking = false

  constructor(private readonly deps: HealthDeps, private readonly health: Health) {
    this.unsubscribe = health.states.onChange((profile, s, previous) => {
      if (s.state === 'closed' && previous.state !== 'closed') this.release(profile)
      if (s.state === 'open' && s.probeAt !== previous.probeAt) this.nudgeAt(profile, s.probeAt)
    })
    this.interval = setInterval(() => {
      if (this.ticking || this.stopped) return
      this.ticking = true
      this.tick()
        .catch((e: unknown) => deps.logger.debug({ err: e }, 'health tick failed; next tick tries again'))
        .finally(() => (this.ticking = false))
    }, TICK_MS)
    this.interval.unref()
  }

  private release(profile: string): void {
    if (this.releasing.has(profile) || this.stopped) return
    this.releasing.add(profile)
    const { js, jsm, logger } = this.deps
    releaseHeld(js, jsm, profile, Number.POSITIVE_INFINITY, () => !this.stopped && this.health.states.get(profile).state === 'closed')
      .then((n) => {
        if (n > 0) logger.info({ profile, released: n }, 'held deliveries released')
      })
      .catch((e: unknown) => logger.warn({ err: e, profile }, 'releasing held deliveries failed; the next tick tries again'))
      .finally(() => this.releasing.delete(profile))
  }

  private nudgeAt(profile: string, at: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      this.nudge(profile)
    }, Math.max(0, at - Date.now()) + 5)
    timer.unref()
    this.timers.add(timer)
  }

  private nudge(profile: string): void {
    const now = Date.now()
    if (this.stopped || now - (this.lastNudge.get(profile) ?? 0) < NUDGE_GAP_MS || gate(this.health.states.get(profile), now) !== 'probe') return
    this.lastNudge.set(profile, now)
    releaseHeld(this.deps.js, this.deps.jsm, profile, 1, () => !this.stopped).catch((e: unknown) => this.deps.logger.warn({ err: e, profile }, 'could not release a delivery for the probe'))
  }

  private async sweep(profile: string, s: HealthState, now: number): Promise<void> {
    const { js, jsm, logger, metrics, store } = this.deps
    const policy = this.health.policyOf(profile)
    const holdMs = policy.holdHours * 3_600_000
    // Often enough that a delivery expires within a twentieth of holdHours (tests use minutes).
    if (now - (this.lastSweep.get(profile) ?? 0) < Math.min(10_000, Math.max(TICK_MS, holdMs / 20))) return
    this.lastSweep.set(profile, now)
    const { expired: n, error } = await expireHeld(js, jsm, profile, now - holdMs, { holdHours: policy.holdHours, state: s.state })
    if (error !== undefined) logger.warn({ err: error, profile, expired: n }, 'expiring held deliveries stopped partway; the next sweep goes on')
    if (n === 0) return
    metrics.deadLetters.inc({ reason: 'held_expired' }, n)
    logger.warn({ profile, expired: n, holdHours: policy.holdHours }, 'held deliveries expired: dead letters held_expired')
    const account = store.snapshot.byId(profile)?.profile.account ?? ''
    await publishOpsEvent(js, { profile, account, event: 'held_expired', reason: 'hold_hours', at: new Date(now).toISOString(), held: n }).catch((e: unknown) => logger.error({ err: e, profile }, 'could not publish the ops event'))
  }

  private async tick(): Promise<void> {
    const { metrics, jsm, store } = this.deps
    const counts = await heldCounts(jsm)
    this.health.held.clear()
    for (const [id, n] of counts) this.health.held.set(id, n)
    const now = Date.now()
    const ids = new Set<string>([...counts.keys(), ...this.health.states.unhealthy().map(([id]) => id)])
    for (const c of store.snapshot.all) ids.add(c.profile.id)
    for (const id of ids) {
      const s = this.health.states.get(id)
      const held = counts.get(id) ?? 0
      for (const name of STATES) metrics.profileState.set({ profile: id, state: name }, s.state === name ? 1 : 0)
      metrics.heldEvents.set({ profile: id }, held)
      if (s.state === 'closed') {
        if (held > 0) this.release(id)
        continue
      }
      if (s.state === 'open') {
        const t = await this.health.apply(id, (at) => (cur) => onTick(cur, at, this.health.policyOf(id)))
        if (t) continue
        if (held > 0) this.nudge(id)
      }
      if (held > 0) await this.sweep(id, s, now)
    }
  }

  stop(): void {
    this.stopped = true
    clearInterval(this.interval)
    for (const t of this.timers) clearTimeout(t)
    this.unsubscribe()
  }
}
