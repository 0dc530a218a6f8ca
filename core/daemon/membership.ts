// Membership of the daemons sharing one NATS (DESIGN "Several daemons"): each daemon puts a
// heartbeat into the bucket CALLBACK_DAEMONS every second (its id, the profiles it waits on,
// its requests in flight above its share) and watches the bucket; the view built from the
// heartbeats decides every daemon's share of each profile's rateLimit (cluster-shares.ts).
// A member not heard from for 3.5 s is gone (a kill -9 leaves its key behind; the bucket's
// TTL clears it later). Nothing here is on the delivery path: limiters read the view.
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { JetStreamClient, KV, KvEntry } from 'nats'
import { ClusterView, DEFAULT_TIMING, type MemberState, type ViewTiming } from '../delivery/cluster-shares'
import { createSharedLimiter, type SharedLimiter } from '../delivery/shared-limiter'
import type { RateLimit } from '../delivery/rate-limit'
import type { Logger } from '../logger'
import { keepWatching, type KvWatch } from '../jetstream/kv-watch'

export const DAEMONS_BUCKET = 'CALLBACK_DAEMONS'
/** Heartbeats older than this vanish from the bucket (the view drops a member far sooner). */
const BUCKET_TTL_MS = 60_000
/** How often the wants are compared with the last heartbeat, to announce a new one early. */
const WANTS_CHECK_MS = 200

interface Heartbeat {
  id: string
  at: number
  wants: string[]
  over: Record<string, number>
  need: Record<string, readonly [number, number]>
}

export interface Membership {
  readonly id: string
  readonly view: ClusterView
  /** Live daemons seen, this one included. */
  count(): number
  /** A limiter for a profile that takes this daemon's share of its rateLimit. */
  limiter(profile: string, limits: RateLimit): SharedLimiter
  /** Leaves the cluster: the key is deleted so the others take the share at once. */
  stop(): Promise<void>
}

export interface MembershipOptions {
  js: JetStreamClient
  replicas: number
  logger: Logger
  timing?: ViewTiming
  onCount?: (n: number) => void
  /** The watch of the bucket ended and is started again. */
  onRestart?: () => void
}

const dec = new TextDecoder()
const enc = new TextEncoder()

function daemonId(): string {
  return `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}-${randomBytes(3).toString('hex')}`
}

function toMember(e: KvEntry, seenAt: number): MemberState | { id: string; gone: true } {
  if (e.operation !== 'PUT') return { id: e.key, gone: true }
  try {
    const hb = JSON.parse(dec.decode(e.value)) as Heartbeat
    return { id: e.key, seenAt, wants: new Set(hb.wants ?? []), over: hb.over ?? {}, need: hb.need ?? {} }
  } catch {
    return { id: e.key, gone: true }
  }
}

/** What this daemon announces: the profiles it waits on, what it used above its share, its need. */
function heartbeatOf(id: string, limiters: ReadonlyMap<string, SharedLimiter>): Heartbeat {
  const wants: string[] = []
  const over: Record<string, number> = {}
  const need: Record<string, readonly [number, number]> = {}
  for (const [profile, l] of limiters) {
    if (l.wanting()) wants.push(profile)
    const o = l.over()
    if (o > 0) over[profile] = o
    const n = l.need()
    if (n) need[profile] = n
  }
  return { id, at: Date.now(), wants, over, need }
}

export async function startMembership(options: MembershipOptions): Promise<Membership> {
  const timing = options.timing ?? DEFAULT_TIMING
  const id = daemonId()
  const view = new ClusterView(id, timing)
  const limiters = new Map<string, SharedLimiter>()
  const bucketOptions = { history: 1, replicas: options.replicas, ttl: BUCKET_TTL_MS }
  const kv: KV = await options.js.views.kv(DAEMONS_BUCKET, bucketOptions)
  let sentWants = new Set<string>()
  let stopped = false

  async function beat(): Promise<void> {
    const hb = heartbeatOf(id, limiters)
    sentWants = new Set(hb.wants)
    await kv.put(id, enc.encode(JSON.stringify(hb)))
  }

  let lastVersion = -1
  function changed(): void {
    if (view.version === lastVersion) return
    lastVersion = view.version
    options.onCount?.(view.alive.length)
    for (const l of limiters.values()) l.poke()
  }

  await beat()
  const open = opener(kv, () => options.js.views.kv(DAEMONS_BUCKET, bucketOptions), beat)
  const watcher = await watchMembers(open, view, changed, (e, delayMs) => {
    options.onRestart?.()
    options.logger.warn({ err: e, retryInMs: delayMs }, 'watching CALLBACK_DAEMONS ended; watching it again')
  })

  const heartbeat = setInterval(() => {
    if (stopped) return
    beat().catch((e: unknown) => options.logger.warn({ err: e }, 'heartbeat to CALLBACK_DAEMONS failed'))
    view.refresh(Date.now())
    changed()
  }, timing.heartbeatMs)
  heartbeat.unref()
  const wantsCheck = setInterval(() => {
    if (stopped) return
    // A change of what this daemon waits on is announced at once, not at the next beat.
    let n = 0
    for (const [profile, l] of limiters) {
      const w = l.wanting()
      if (w) n++
      if (w !== sentWants.has(profile)) {
        beat().catch(() => undefined)
        return
      }
    }
    if (n !== sentWants.size) beat().catch(() => undefined)
  }, WANTS_CHECK_MS)
  wantsCheck.unref()

  return {
    id,
    view,
    count: () => view.alive.length,
    limiter(profile, limits) {
      const l = createSharedLimiter(profile, limits, view)
      limiters.set(profile, l)
      return l
    },
    async stop() {
      stopped = true
      clearInterval(heartbeat)
      clearInterval(wantsCheck)
      watcher.stop()
      await kv.delete(id).catch(() => undefined)
    },
  }
}

/**
 * The first watch uses the bucket opened at start. A later one opens it again, which creates
 * it if it went with its stream (a wiped NATS), and beats first, so that this daemon is in
 * the snapshot the new watch starts from.
 */
function opener(kv: KV, reopen: () => Promise<KV>, beat: () => Promise<void>): () => Promise<KV> {
  let opened = 0
  return async () => {
    if (opened++ === 0) return kv
    const again = await reopen()
    await beat()
    return again
  }
}

/**
 * Watches the bucket into the view; resolves once the first full view is in. Every heartbeat
 * counts from the server's timestamp (a dead daemon's old key is not mistaken for a live one).
 * A watch that ends is started again (kv-watch.ts) and its snapshot replaces the members.
 */
function watchMembers(open: () => Promise<KV>, view: ClusterView, changed: () => void, onRestart: (e: unknown, delayMs: number) => void): Promise<KvWatch> {
  const seen = (e: KvEntry, now: number) => toMember(e, Math.min(now, e.created.getTime()))
  return keepWatching(open, {
    onInitial(entries) {
      const now = Date.now()
      view.initialize(entries.map((e) => seen(e, now)).filter((m): m is MemberState => !('gone' in m)), now)
      changed()
    },
    onChange(e) {
      const now = Date.now()
      view.upsert(seen(e, now), now)
      changed()
    },
    onRestart,
  })
}
