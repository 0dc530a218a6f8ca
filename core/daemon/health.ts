// Endpoint health in the daemon (DESIGN "Endpoint health: breaker, pause, hold"): the gate
// before each delivery, the count after it, and holding what may not be sent. The state
// is core/delivery/breaker.ts's, shared through CALLBACK_PROFILE_STATE (profile-state.ts);
// the clock-driven work (probes, releases, expiry, gauges) is health-keeper.ts.
//
// Hot path: a closed profile with no failures costs two Map lookups per delivery and no
// I/O; only failures, probes and successes after failures write to KV.
import type { JsMsg } from 'nats'
import { claimProbe, effectiveHealth, gate, onFailure, onSuccess, pause, resume, type HealthPolicy, type HealthState, type HealthStateName, type Transition } from '../delivery/breaker'
import type { DeliveryOutcome } from '../delivery/deliver'
import { holdJob } from '../jetstream/held-jobs'
import type { Job } from '../jetstream/jobs'
import { publishOpsEvent } from '../jetstream/ops-events'
import type { DaemonContext } from './context'
import { ProfileStates } from './profile-state'

export type Admission = 'send' | 'probe' | 'hold'

/** What the health part needs of the daemon (a subset of DaemonContext, built before it). */
export type HealthDeps = Pick<DaemonContext, 'settings' | 'logger' | 'metrics' | 'store' | 'js' | 'jsm' | 'state'>

export interface Health {
  readonly states: ProfileStates
  /** Opens the bucket and starts watching it. */
  open(): Promise<void>
  /** Whether a due delivery may go: synchronous while closed; a probe is claimed in KV first. */
  admit(profile: string): Admission | Promise<Admission>
  /** The last check, once the rate-limit slot is granted (deliver's beforeSend). */
  allowSend(profile: string, probe: boolean): boolean
  /** A sent attempt's outcome, before its slot is given back (deliver's onSettled). */
  settled(profile: string, outcome: DeliveryOutcome): void
  /** Counts the attempt in the shared state; resolves to the state after it. */
  record(profile: string, outcome: DeliveryOutcome, status: number | null, probe: boolean): HealthStateName | Promise<HealthStateName>
  /** Parks the delivery on the profile's held subject, then acks `m`. */
  hold(m: JsMsg, job: Job): Promise<void>
  /** Applies a change and announces it (metrics, ops event): shared with the keeper. */
  apply(profile: string, fn: (now: number) => (s: HealthState) => Transition | null, heldNow?: number): Promise<Transition | null>
  policyOf(profile: string): HealthPolicy
  /** Held deliveries per profile, as last counted by the keeper (for ops events and gauges). */
  readonly held: Map<string, number>
  stop(): void
}

/** What the daemon offers its console and embedders: the shared state, the operator's actions. */
export interface HealthApi {
  state(profile: string): HealthState
  /** Pauses the profile (every daemon holds its deliveries); resolves to the state after. */
  pause(profile: string): Promise<HealthState>
  /** Resumes it: closed, held deliveries released at its rate. */
  resume(profile: string): Promise<HealthState>
}

export function healthApi(health: Health): HealthApi {
  return {
    state: (profile) => health.states.get(profile),
    pause: async (profile) => (await health.apply(profile, (now) => (s) => pause(s, now)))?.next ?? health.states.get(profile),
    resume: async (profile) => (await health.apply(profile, (now) => (s) => resume(s, now)))?.next ?? health.states.get(profile),
  }
}

export function createHealth(deps: HealthDeps): Health {
  return new DaemonHealth(deps)
}

class DaemonHealth implements Health {
  private statesOrNone: ProfileStates | undefined
  /** Failures of this process sent but not yet written to KV, per profile. */
  private readonly pending = new Map<string, number>()
  private readonly policies = new WeakMap<object, HealthPolicy>()
  readonly held = new Map<string, number>()

  constructor(private readonly deps: HealthDeps) {}

  get states(): ProfileStates {
    if (!this.statesOrNone) throw new Error('health: open() first')
    return this.statesOrNone
  }

  async open(): Promise<void> {
    this.statesOrNone = await ProfileStates.open(this.deps.js, { replicas: this.deps.settings.nats.replicas, watch: true })
  }

  policyOf(profile: string): HealthPolicy {
    const compiled = this.deps.store.snapshot.byId(profile)
    const defaults = this.deps.settings.delivery.health
    if (!compiled) return effectiveHealth(defaults, undefined)
    let p = this.policies.get(compiled)
    if (p === undefined) {
      p = effectiveHealth(defaults, compiled.profile.health)
      this.policies.set(compiled, p)
    }
    return p
  }

  /** Closed, but the failures already counted (here and in KV) reach the threshold. */
  private atThreshold(profile: string, failures: number): boolean {
    const n = this.policyOf(profile).breakerFailures
    return n > 0 && failures + (this.pending.get(profile) ?? 0) >= n
  }

  async apply(profile: string, fn: (now: number) => (s: HealthState) => Transition | null, heldNow?: number): Promise<Transition | null> {
    const { metrics, logger, store, js } = this.deps
    const now = Date.now()
    const t = await this.states.change(profile, fn(now))
    if (t?.event) {
      const event = t.event
      metrics.breakerTransitions.inc({ to: t.next.state })
      logger.warn({ profile, event: event.name, reason: event.reason, failures: t.next.failures }, 'endpoint health changed')
      const ops = { profile, account: store.snapshot.byId(profile)?.profile.account ?? '', event: event.name, reason: event.reason, at: new Date(now).toISOString(), held: heldNow ?? this.held.get(profile) ?? 0 }
      await publishOpsEvent(js, ops).catch((e: unknown) => logger.error({ err: e, profile, event: event.name }, 'could not publish the ops event'))
    }
    return t
  }

  admit(profile: string): Admission | Promise<Admission> {
    const s = this.states.get(profile)
    if (s.state === 'closed') return this.atThreshold(profile, s.failures) ? 'hold' : 'send'
    const now = Date.now()
    if (gate(s, now) !== 'probe') return 'hold'
    // The claim outlives the attempt (ack_wait is above twice the longest timeout).
    return this.states.change(profile, (cur) => claimProbe(cur, now, this.deps.state.ackWaitMs)).then((t) => (t ? 'probe' : 'hold'))
  }

  allowSend(profile: string, probe: boolean): boolean {
    if (probe) return true
    const s = this.states.get(profile)
    return s.state === 'closed' && !this.atThreshold(profile, s.failures)
  }

  settled(profile: string, outcome: DeliveryOutcome): void {
    if (outcome === 'failed') this.pending.set(profile, (this.pending.get(profile) ?? 0) + 1)
  }

  record(profile: string, outcome: DeliveryOutcome, status: number | null, probe: boolean): HealthStateName | Promise<HealthStateName> {
    const s = this.states.get(profile)
    if (outcome === 'delivered') {
      if (s.state === 'closed' && s.failures === 0) return 'closed'
      return this.apply(profile, (now) => (cur) => onSuccess(cur, now)).then(() => this.states.get(profile).state)
    }
    if (outcome !== 'failed') return s.state
    const info = { gone: status === 410, probe }
    return this.apply(profile, (now) => (cur) => onFailure(cur, now, this.policyOf(profile), info))
      .finally(() => {
        const n = (this.pending.get(profile) ?? 1) - 1
        if (n > 0) this.pending.set(profile, n)
        else this.pending.delete(profile)
      })
      .then((t) => t?.next.state ?? this.states.get(profile).state)
  }

  async hold(m: JsMsg, job: Job): Promise<void> {
    await holdJob(this.deps.js, m, job)
    if (this.deps.logger.isLevelEnabled('debug')) this.deps.logger.debug({ profile: job.profile, eventId: job.eventId, attempt: job.attempt }, 'delivery held')
  }

  stop(): void {
    this.statesOrNone?.stop()
  }
}
