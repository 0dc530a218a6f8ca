// One delivery attempt of an event to a profile, the I/O half of the pipeline:
//   rate limit (per profile) → render → auth → HTTP → outcome
// The daemon and `callback-router test` both call Deliverer.attempt, so the Test button
// exercises the exact code path of real deliveries.
//
// Time: waiting for a rate-limit slot is not part of the attempt's budget (the daemon keeps
// the message alive through onWait meanwhile); from the slot on, one AbortSignal of the
// profile's timeoutMs covers the token fetch, the request, and the one resend after a 401.
import type { Dispatcher } from 'undici'
import { createAuthorizer, AuthError, type Authorizer } from './auth'
import { CallbackRouterError } from '../errors'
import { redact, secrets } from '../redact'
import type { CallbackEvent } from '../generated/event'
import type { Profile } from '../generated/profile'
import { sendAttempt, USER_AGENT, type AttemptResult } from './http-attempt'
import { createRateLimiter, type RateLimit, type RateLimiter, type Release } from './rate-limit'
import type { CompiledProfile, OutgoingRequest } from '../render/compile'

export type DeliveryOutcome = 'delivered' | 'failed' | 'refused' | 'render_failed' | 'held'

export interface DeliveryAttempt extends AttemptResult {
  /**
   * delivered: 2xx. failed: retry per policy. refused: the network policy refused the
   * endpoint or token URL (dead letter `address_refused`, not retried). render_failed: the
   * request could not be built (dead letter `render_failed`, not retried). held: nothing was
   * sent, beforeSend said no (the profile's breaker opened or it was paused meanwhile).
   */
  outcome: DeliveryOutcome
  /** The request as sent (Authorization included); absent when rendering failed. */
  request?: OutgoingRequest
}

export interface DeliverHooks {
  /** Called when the attempt has to wait for a rate-limit slot, and periodically after. */
  onWait?: () => void
  /** Headers the caller adds to the request (the attempt span's `traceparent`). */
  headers?: Record<string, string>
  /**
   * Asked once the rate-limit slot is granted, right before anything is sent: false holds
   * the delivery (outcome `held`, no request). The breaker's last word: a delivery that
   * waited for its slot while the breaker opened must not go out.
   */
  beforeSend?: () => boolean
  /**
   * Called with a sent attempt's outcome before its rate-limit slot is given back: the
   * breaker counts a failure before the next queued delivery of the profile is let through.
   */
  onSettled?: (outcome: DeliveryOutcome) => void
}

export interface Deliverer {
  attempt(compiled: CompiledProfile, envelope: CallbackEvent, ctx: { event: string; channel: string }, hooks?: DeliverHooks): Promise<DeliveryAttempt>
  /** Drops the limiter and authorizer of a removed profile. */
  forget(profileId: string): void
  /** The limiter of a profile, if it has sent anything (for metrics and tests). */
  limiterOf(profileId: string): RateLimiter | undefined
  /** Deliveries waiting in memory for a rate-limit slot, all profiles together. */
  waiting(): number
}

export interface DelivererDeps {
  dispatcher: Dispatcher
  maxResponseBytes: number
  /** delivery.defaultRateLimit of the settings: for profiles without rateLimit. */
  defaultRateLimit?: { perSecond?: number; maxConcurrent?: number }
  /** Makes a profile's limiter; default one of this process alone (the daemon passes the cluster's shared one). */
  createLimiter?: (profileId: string, limits: RateLimit) => RateLimiter
}

const FALLBACK_RATE: RateLimit = { perSecond: 100, maxConcurrent: 10 }

function limitsOf(profile: Profile, defaults: DelivererDeps['defaultRateLimit']): RateLimit {
  const own = profile.rateLimit as Partial<RateLimit> | undefined
  return {
    perSecond: own?.perSecond ?? defaults?.perSecond ?? FALLBACK_RATE.perSecond,
    maxConcurrent: own?.maxConcurrent ?? defaults?.maxConcurrent ?? FALLBACK_RATE.maxConcurrent,
  }
}

/** Limiters and authorizers per profile id, each replaced when its part of the profile changes. */
class PerProfile {
  /** Per profile id: its limits' key, the limiter, and the profile object last seen with it. */
  private readonly limiters = new Map<string, { key: string; limiter: RateLimiter; seen: Profile }>()
  private readonly authorizers = new Map<string, { key: string; authorizer: Authorizer | undefined }>()

  constructor(private readonly deps: DelivererDeps) {}

  limiterFor(profile: Profile): RateLimiter {
    const held = this.limiters.get(profile.id)
    // The same profile object as last time (no reload since): its limits are the same too.
    if (held !== undefined && held.seen === profile) return held.limiter
    const limits = limitsOf(profile, this.deps.defaultRateLimit)
    const key = `${limits.perSecond}/${limits.maxConcurrent}`
    if (held !== undefined && held.key === key) {
      held.seen = profile
      return held.limiter
    }
    // A changed rateLimit gets a fresh limiter; requests in flight on the old one finish there.
    const limiter = this.deps.createLimiter ? this.deps.createLimiter(profile.id, limits) : createRateLimiter(limits)
    this.limiters.set(profile.id, { key, limiter, seen: profile })
    return limiter
  }

  authorizerFor(profile: Profile): Authorizer | undefined {
    if (profile.auth === undefined) {
      this.authorizers.delete(profile.id)
      return undefined
    }
    const key = JSON.stringify(profile.auth)
    const held = this.authorizers.get(profile.id)
    if (held !== undefined && held.key === key) return held.authorizer
    const authorizer = createAuthorizer(profile.auth, { dispatcher: this.deps.dispatcher })
    this.authorizers.set(profile.id, { key, authorizer })
    return authorizer
  }

  forget(profileId: string): void {
    this.limiters.delete(profileId)
    this.authorizers.delete(profileId)
  }

  limiterOf(profileId: string): RateLimiter | undefined {
    return this.limiters.get(profileId)?.limiter
  }

  waiting(): number {
    let n = 0
    for (const { limiter } of this.limiters.values()) n += limiter.waiting
    return n
  }
}

async function slot(limiter: RateLimiter, hooks: DeliverHooks | undefined): Promise<Release> {
  return limiter.tryAcquire() ?? (await limiter.acquire(hooks?.onWait))
}

/**
 * The attempt as it leaves the deliverer for the attempt log, dead letters, the console and
 * the CLI: its error and refused target hold no `${env:…}` value (an undici message naming
 * a host, a render error quoting a header).
 */
function leaving(a: DeliveryAttempt): DeliveryAttempt {
  if (secrets.empty) return a
  if (a.error !== null) a.error = redact(a.error)
  if (a.refusedTarget !== undefined) a.refusedTarget = redact(a.refusedTarget)
  return a
}

/**
 * The exchange's result, which is this attempt's own object, completed in place into the
 * attempt with its outcome (a copy with spread per delivery showed in the daemon's profile).
 */
function completed(result: AttemptResult, request: OutgoingRequest, latencyMs: number): DeliveryAttempt {
  const out = result as DeliveryAttempt
  out.latencyMs = latencyMs
  out.outcome = result.ok ? 'delivered' : result.refused ? 'refused' : 'failed'
  out.request = request
  return out
}

function renderFailure(err: unknown, latencyMs: number): DeliveryAttempt {
  const message = err instanceof Error ? err.message : String(err)
  return { outcome: 'render_failed', ok: false, status: null, error: err instanceof CallbackRouterError ? `${err.code}: ${message}` : message, refused: false, latencyMs, responseExcerpt: '' }
}

function authFailure(err: AuthError, latencyMs: number, request: OutgoingRequest): DeliveryAttempt {
  const out: DeliveryAttempt = { outcome: err.refused ? 'refused' : 'failed', ok: false, status: null, error: err.reason, refused: err.refused, latencyMs, responseExcerpt: '', request }
  if (err.target !== undefined) out.refusedTarget = err.target
  return out
}

/**
 * One deadline for the whole attempt. With auth it spans the token fetch, the request and a
 * resend after 401: a controller whose timer is cleared when the attempt ends
 * (AbortSignal.timeout would keep its timer and signal alive for the full timeout after
 * every attempt: 15,000 at 3,000/s and 5 s). Without auth the attempt is one exchange, and
 * sendAttempt's own timer of timeoutMs is that deadline (no signal and listener to set up:
 * ~3 % of the daemon's CPU in the bench profile).
 */
function deadline(timeoutMs: number): { signal: AbortSignal; timer: NodeJS.Timeout } {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs)
  return { signal: controller.signal, timer }
}

interface Sent {
  request: OutgoingRequest
  result: AttemptResult
}

export function createDeliverer(deps: DelivererDeps): Deliverer {
  const perProfile = new PerProfile(deps)

  async function attempt(compiled: CompiledProfile, envelope: CallbackEvent, ctx: { event: string; channel: string }, hooks?: DeliverHooks): Promise<DeliveryAttempt> {
    const profile = compiled.profile
    const limiter = perProfile.limiterFor(profile)
    let release = limiter.tryAcquire() ?? (await limiter.acquire(hooks?.onWait))
    if (hooks?.beforeSend !== undefined && !hooks.beforeSend()) {
      release()
      return { outcome: 'held', ok: false, status: null, error: null, refused: false, latencyMs: 0, responseExcerpt: '' }
    }
    const started = performance.now()
    const elapsed = (): number => Math.round((performance.now() - started) * 100) / 100
    let timer: NodeJS.Timeout | undefined
    try {
      let rendered: OutgoingRequest
      try {
        rendered = compiled.render(envelope, { event: ctx.event, channel: ctx.channel, timestamp: Math.floor(Date.now() / 1000) })
      } catch (err) {
        return leaving(renderFailure(err, elapsed()))
      }
      const authorizer = perProfile.authorizerFor(profile)
      if (authorizer === undefined) {
        // No auth, the common case: one exchange of the rendered request, which is this
        // attempt's own object, so it goes as it is (no header copy, no closure per attempt).
        if (hooks?.headers !== undefined) Object.assign(rendered.headers, hooks.headers)
        rendered.headers['user-agent'] = USER_AGENT
        const result = await sendAttempt(rendered, { dispatcher: deps.dispatcher, timeoutMs: compiled.timeoutMs, maxResponseBytes: deps.maxResponseBytes, onStart: release.started })
        const out = completed(result, rendered, elapsed())
        hooks?.onSettled?.(out.outcome)
        return result.ok ? out : leaving(out)
      }
      let signal: AbortSignal | undefined
      if (authorizer !== undefined) ({ signal, timer } = deadline(compiled.timeoutMs))
      const opts = { dispatcher: deps.dispatcher, timeoutMs: compiled.timeoutMs, maxResponseBytes: deps.maxResponseBytes, signal }

      const send = async (): Promise<Sent> => {
        const auth = authorizer !== undefined && signal !== undefined ? await authorizer.authorize(signal) : {}
        const request: OutgoingRequest = { ...rendered, headers: { ...rendered.headers, ...hooks?.headers, ...auth, 'user-agent': USER_AGENT } }
        const result = await sendAttempt(request, { ...opts, onStart: release.started })
        return { request, result }
      }

      let sent: Sent
      try {
        sent = await send()
        if (sent.result.status === 401 && authorizer !== undefined && profile.auth?.type === 'oauth2') {
          // The token may have been revoked early: fetch a new one once, resend once, in
          // the same budget. The resend is a new request start, so it takes a new slot.
          authorizer.invalidate(sent.request.headers.authorization)
          release()
          release = await slot(limiter, hooks)
          sent = await send()
        }
      } catch (err) {
        if (err instanceof AuthError) {
          hooks?.onSettled?.(err.refused ? 'refused' : 'failed')
          return leaving(authFailure(err, elapsed(), rendered))
        }
        throw err
      }
      const { request, result } = sent
      const out = completed(result, request, elapsed())
      hooks?.onSettled?.(out.outcome)
      return result.ok ? out : leaving(out)
    } finally {
      if (timer !== undefined) clearTimeout(timer)
      release()
    }
  }

  return {
    attempt,
    forget: (profileId) => perProfile.forget(profileId),
    limiterOf: (profileId) => perProfile.limiterOf(profileId),
    waiting: () => perProfile.waiting(),
  }
}
