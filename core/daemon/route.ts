// Routing, a pure function: (subject, bytes, profiles, plugins) -> the profiles to deliver
// to, or the dead-letter reason. No I/O, so every rule of DESIGN "Events on NATS" is
// unit-tested without NATS.
import type { CallbackEvent } from '../generated/event'
// A checked profile: its channel and other defaults are filled in.
import type { CheckedProfile as Profile } from '../config/profile-rules'
import type { PluginRegistry } from '../plugin/registry'
import { formatMessage, type RoutingCode } from '../errors'
import { validateEvent, describeAjvError } from '../config/schema'

/** What routing needs of a profile (CompiledProfile qualifies). */
export interface Routable {
  readonly profile: Profile
}

/** The loaded profiles as routing reads them (core/profile-store.ts builds it). */
export interface RoutingIndex<P extends Routable> {
  /** Any profile with this id, enabled or not. */
  byId(id: string): P | undefined
  /** Enabled profiles of `account` on `channel` whose `events` include `event` (or omit it). */
  subscribers(account: string, channel: string, event: string): readonly P[]
}

export interface RouteInput {
  subject: string
  data: Uint8Array
  /** `<prefix>` of the event subjects. */
  prefix: string
  /** Largest accepted event in bytes (server max_payload less 64 KiB). */
  maxEventBytes: number
}

export interface RoutedDead {
  kind: 'dead'
  reason: RoutingCode
  detail: string
  /** null when the event could not be parsed far enough to read a valid id. */
  eventId: string | null
  /** The profile the event named, or null. */
  profile: string | null
  channel: string | null
  event: string | null
}

export interface RoutedDeliveries<P extends Routable> {
  kind: 'deliver'
  envelope: CallbackEvent
  eventId: string
  channel: string
  event: string
  profiles: readonly P[]
}

export type RouteResult<P extends Routable> = RoutedDead | RoutedDeliveries<P>

const EVENT_ID = /^[A-Za-z0-9_-]{1,128}$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Does `p` take `event` of `channel` when an event names it? (a catch-all takes any channel) */
export function subscribes(p: Profile, channel: string, event: string, registry: PluginRegistry): boolean {
  if (p.channel !== channel && !registry.get(p.channel)?.catchAll) return false
  return !p.events || (p.events as string[]).includes(event)
}

/** `<prefix>.<channel>.<event>` -> its channel and event, or undefined. */
export function parseSubject(subject: string, prefix: string): { channel: string; event: string } | undefined {
  if (!subject.startsWith(prefix + '.')) return undefined
  const rest = subject.slice(prefix.length + 1)
  const dot = rest.indexOf('.')
  if (dot <= 0 || dot === rest.length - 1) return undefined
  return { channel: rest.slice(0, dot), event: rest.slice(dot + 1) }
}

export function route<P extends Routable>(input: RouteInput, index: RoutingIndex<P>, registry: PluginRegistry): RouteResult<P> {
  const parsedSubject = parseSubject(input.subject, input.prefix)
  const channel = parsedSubject?.channel ?? null
  const eventName = parsedSubject?.event ?? null
  let eventId: string | null = null
  let named: string | null = null
  const dead = (reason: RoutingCode, ...args: unknown[]): RoutedDead => ({ kind: 'dead', reason, detail: formatMessage(reason, ...args), eventId, profile: named, channel, event: eventName })

  if (input.data.byteLength > input.maxEventBytes) return dead('payload_too_large', input.data.byteLength, input.maxEventBytes)

  let value: unknown
  try {
    value = JSON.parse(utf8.decode(input.data))
  } catch (e) {
    return dead('invalid_json', (e as Error).message)
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>
    if (typeof o.id === 'string' && EVENT_ID.test(o.id)) eventId = o.id
    if (typeof o.profile === 'string') named = o.profile
  }
  if (!validateEvent(value)) {
    return dead('invalid_envelope', (validateEvent.errors ?? []).map((e) => describeAjvError(e)).join('; '))
  }
  const envelope = value

  if (!channel || !eventName) return dead('unknown_channel', input.subject)
  const plugin = registry.get(channel)
  if (!plugin) return dead('unknown_channel', channel)
  if (!registry.eventSpec(channel, eventName)) return dead('unknown_event', channel, eventName)
  const validate = registry.payloadValidator(channel, eventName)
  if (validate && !validate(envelope.data)) {
    return dead('invalid_payload', `${channel}/${eventName}`, (validate.errors ?? []).map((e) => describeAjvError(e)).join('; '))
  }

  const where = `${channel}/${eventName}`
  if (envelope.profile !== undefined) {
    const p = index.byId(envelope.profile)
    if (!p) return dead('profile_not_found', envelope.profile)
    if (p.profile.account !== envelope.account) return dead('account_mismatch', envelope.profile)
    if (p.profile.enabled === false) return dead('profile_disabled', envelope.profile)
    if (!subscribes(p.profile, channel, eventName, registry)) return dead('event_not_subscribed', envelope.profile, where)
    return { kind: 'deliver', envelope, eventId: envelope.id, channel, event: eventName, profiles: [p] }
  }
  const profiles = index.subscribers(envelope.account, channel, eventName)
  if (profiles.length === 0) return dead('no_profile', envelope.account, where)
  return { kind: 'deliver', envelope, eventId: envelope.id, channel, event: eventName, profiles }
}
