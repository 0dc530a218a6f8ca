// The profiles' health state, shared by every daemon and the CLI through the KV bucket
// CALLBACK_PROFILE_STATE (key: profile id; value: the HealthState of core/delivery/breaker).
// Every change is a compare-and-set (kv.update with the revision it was computed from), so
// failures counted by two daemons at once both count, and a pause made through one CLI
// cannot be lost to a daemon's concurrent write. Each holder watches the bucket: the hot
// path reads the local copy (no round trip per delivery), and hears of a change made
// elsewhere (a pause, a resume, a breaker opened by another daemon) within a moment.
import type { JetStreamClient, KV, QueuedIterator, KvEntry } from 'nats'
import { CLOSED, parseState, type HealthState, type Transition } from '../delivery/breaker'
import { BUCKETS, isRevisionConflict, openBucket } from '../jetstream/kv'

export type StateListener = (profile: string, state: HealthState, previous: HealthState) => void

interface Held {
  state: HealthState
  revision: number
}

/** How often a compare-and-set is tried again after losing to another writer. */
const MAX_CAS_ROUNDS = 20

const dec = new TextDecoder()

export class ProfileStates {
  private readonly cache = new Map<string, Held>()
  private readonly listeners = new Set<StateListener>()
  /** One change at a time per profile in this process: only other processes can conflict. */
  private readonly queues = new Map<string, Promise<unknown>>()
  private watcher: QueuedIterator<KvEntry> | undefined

  private constructor(private readonly kv: KV) {}

  /** Opens (creating it if needed) the bucket and reads every state; `watch` keeps them current. */
  static async open(js: JetStreamClient, options: { replicas: number; watch: boolean }): Promise<ProfileStates> {
    const kv = await openBucket(js, BUCKETS.profileState, { replicas: options.replicas })
    const states = new ProfileStates(kv)
    if (options.watch) await states.startWatch()
    else await states.readAll()
    return states
  }

  private async readAll(): Promise<void> {
    // Keys first, values after: awaiting a get inside the keys iterator ends it early.
    const keys: string[] = []
    for await (const k of await this.kv.keys()) keys.push(k)
    await Promise.all(keys.map((k) => this.refresh(k)))
  }

  private async startWatch(): Promise<void> {
    let ready: () => void = () => undefined
    const initialised = new Promise<void>((resolve) => (ready = resolve))
    this.watcher = await this.kv.watch({ key: '>', initializedFn: () => ready() })
    void (async () => {
      for await (const e of this.watcher!) this.apply(e)
    })().catch(() => undefined)
    await initialised
  }

  private apply(e: KvEntry): void {
    this.set(e.key, e.operation === 'PUT' ? parseState(dec.decode(e.value)) : CLOSED, e.revision)
  }

  private set(profile: string, state: HealthState, revision: number): void {
    const held = this.cache.get(profile)
    if (held && held.revision >= revision) return
    this.cache.set(profile, { state, revision })
    for (const l of this.listeners) l(profile, state, held?.state ?? CLOSED)
  }

  private async refresh(profile: string): Promise<void> {
    const e = await this.kv.get(profile)
    if (e) this.apply(e)
  }

  /** The last known state of a profile (closed when it never had one). */
  get(profile: string): HealthState {
    return this.cache.get(profile)?.state ?? CLOSED
  }

  /** Every profile with a state other than closed. */
  unhealthy(): Array<[string, HealthState]> {
    return [...this.cache].filter(([, h]) => h.state.state !== 'closed').map(([id, h]) => [id, h.state])
  }

  onChange(listener: StateListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Applies `fn` to the current state and writes the result if nobody wrote in between;
   * on a conflict, reads the winner's state and applies `fn` to it again. Resolves to the
   * transition written, or null when `fn` found nothing to change.
   */
  change(profile: string, fn: (s: HealthState) => Transition | null): Promise<Transition | null> {
    const prev = this.queues.get(profile) ?? Promise.resolve()
    const next = prev.then(() => this.casLoop(profile, fn))
    const settled = next.catch(() => undefined)
    this.queues.set(profile, settled)
    void settled.then(() => {
      if (this.queues.get(profile) === settled) this.queues.delete(profile)
    })
    return next
  }

  private async casLoop(profile: string, fn: (s: HealthState) => Transition | null): Promise<Transition | null> {
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const held = this.cache.get(profile)
      const t = fn(held?.state ?? CLOSED)
      if (!t) return null
      const value = JSON.stringify(t.next)
      try {
        const revision = held ? await this.kv.update(profile, value, held.revision) : await this.kv.create(profile, value)
        this.set(profile, t.next, revision)
        return t
      } catch (e) {
        if (!isRevisionConflict(e)) throw e
        // Another process wrote first: a short random pause keeps two daemons from colliding again.
        await new Promise((r) => setTimeout(r, Math.random() * 5 * (round + 1)))
        await this.refresh(profile)
      }
    }
    throw new Error(`profile state of "${profile}": ${MAX_CAS_ROUNDS} compare-and-set rounds lost to other writers`)
  }

  stop(): void {
    this.watcher?.stop()
    this.listeners.clear()
  }
}
