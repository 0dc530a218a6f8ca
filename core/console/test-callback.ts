// The Test button: one real callback built from the catalog's examples with the
// form's current settings, sent through the deliverer (the code path of real
// deliveries and of `callback-router test`: auth, network policy, timeout),
// answered with the verdict the page shows bottom left.
import type { CallbackEvent } from '../generated/event'
import type { Profile } from '../generated/profile'
import type { CheckedProfile } from '../config/profile-rules'
import type { PluginRegistry } from '../plugin/registry'
import type { EventSpec } from '../plugin/contract'
import { compileProfile } from '../render/compile'
import { sampleData } from '../plugin/sample-data'
import type { Deliverer } from '../delivery/deliver'
import { redact } from '../redact'

export interface TestOutcome {
  ok: boolean
  /** The HTTP status, or null when no response arrived. */
  status: number | null
  /** Short failure reason ('status 500', 'timeout', 'refused', 'address_refused', …), null on success. */
  error: string | null
  latencyMs: number
  event: string
  request: { method: string; url: string }
  responseExcerpt: string
}

/** The sample event of `test`: the catalog's examples as `data`, naming the profile. */
export function sampleEvent(profile: CheckedProfile, registry: PluginRegistry): { envelope: CallbackEvent; event: string; channel: string } {
  const plugin = registry.get(profile.channel)
  let event = profile.events?.[0]
  let channel = profile.channel
  let spec: EventSpec | undefined
  if (plugin?.catchAll) {
    // A catch-all profile receives other channels' events by name: test with the real one.
    const owner = event ? registry.plugins.find((p) => !p.catchAll && Object.prototype.hasOwnProperty.call(p.events, event!)) : undefined
    if (owner && event) {
      spec = owner.events[event]
      channel = owner.name
    } else {
      spec = plugin.events['*']
      event = event ?? 'test'
    }
  } else {
    event = event ?? registry.eventsOf(profile.channel)[0]
    spec = event ? registry.eventSpec(profile.channel, event) : undefined
  }
  const envelope: CallbackEvent = {
    id: `test_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
    account: profile.account,
    profile: profile.id,
    occurredAt: new Date().toISOString(),
    data: spec ? sampleData(spec) : {},
  }
  return { envelope, event: event ?? 'test', channel }
}

export interface TestSenderOptions {
  /** The delivery engine: rate limit, render, auth, HTTP (the code path of real deliveries). */
  deliverer: Pick<Deliverer, 'attempt'>
  defaultTimeoutMs?: number
}

/**
 * Renders and sends one attempt through the deliverer; a delivery failure is an outcome, not
 * a throw. The answer goes to a browser: the URL, the error and the receiver's reply (which
 * may echo a header) show each `${env:…}` value as its reference, so that a profile written
 * in the form cannot read the daemon's environment back.
 */
export async function sendTestCallback(profile: Profile, registry: PluginRegistry, options: TestSenderOptions): Promise<TestOutcome> {
  const compiled = compileProfile(profile, registry, { defaultTimeoutMs: options.defaultTimeoutMs })
  const { envelope, event, channel } = sampleEvent(compiled.profile, registry)
  const result = await options.deliverer.attempt(compiled, envelope, { event, channel })
  return {
    ok: result.ok,
    status: result.status,
    error: result.error === null ? null : redact(result.error),
    latencyMs: result.latencyMs,
    event,
    request: { method: result.request?.method ?? profile.method ?? 'POST', url: redact(result.request?.url ?? profile.endpoint) },
    responseExcerpt: redact(result.responseExcerpt),
  }
}
