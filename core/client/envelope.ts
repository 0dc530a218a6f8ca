// The publisher's pure half: an event to publish becomes a checked envelope and subject,
// or a coded error naming what is wrong. Nothing here touches NATS.
import { randomBytes } from 'node:crypto'
import type { ErrorObject } from 'ajv'
import type { CallbackEvent } from '../generated/event'
import type { PluginRegistry } from '../plugin/registry'
import { ajvErrorPointer, describeAjvError, escapePointer, validateEvent } from '../config/schema'
import { CallbackRouterError } from '../errors'

/** What a publisher sends: the envelope of DESIGN "Events on NATS", the id optional. */
export interface EventToPublish<D = Record<string, unknown>> {
  /** The idempotency key and Nats-Msg-Id, `^[A-Za-z0-9_-]{1,128}$`; a random `evt_…` id when omitted. */
  id?: string
  account: string
  /** Send to this profile only. */
  profile?: string
  /** When it happened: an ISO-8601 string or a Date. */
  occurredAt?: string | Date
  data: D
}

export interface PreparedEvent {
  subject: string
  envelope: CallbackEvent
  bytes: Uint8Array
}

const ID = /^[A-Za-z0-9_-]{1,128}$/

/** A fresh event id: time-ordered prefix, 64 random bits. */
export function newEventId(): string {
  return `evt_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`
}

/** The pointer a publisher should look at: for a missing property, the property itself. */
function pointerOf(e: ErrorObject): string {
  if (e.keyword === 'required') return `${e.instancePath}/${escapePointer((e.params as { missingProperty: string }).missingProperty)}`
  return ajvErrorPointer(e)
}

function problems(errors: readonly ErrorObject[] | null | undefined, prefix: string): { first: string; text: string } {
  const list = (errors ?? []).map((e) => ({ at: prefix + pointerOf(e), message: describeAjvError(e) }))
  return { first: list[0]?.at ?? prefix, text: list.map((p) => `${p.at || '/'}: ${p.message}`).join('; ') }
}

/**
 * Checks channel, event, envelope and data (with the same payload schema the daemon
 * uses) and builds the subject and bytes. Throws a CallbackRouterError whose `where` is
 * the JSON pointer of the first fault (`/data/status`).
 */
export function prepareEvent(registry: PluginRegistry, subjectPrefix: string, channel: string, event: string, input: EventToPublish<unknown>): PreparedEvent {
  if (!registry.get(channel)) throw new CallbackRouterError('PUBLISH_UNKNOWN_CHANNEL', [channel, registry.names.join(', ')], '/channel')
  const validateData = registry.payloadValidator(channel, event)
  if (!validateData) throw new CallbackRouterError('PUBLISH_UNKNOWN_EVENT', [channel, event, registry.eventsOf(channel).join(', ') || 'any [a-z0-9_-]+'], '/event')
  if (input === null || typeof input !== 'object') throw new CallbackRouterError('PUBLISH_INVALID_ENVELOPE', ['/: must be an object { id?, account, profile?, occurredAt?, data }'], '')
  const id = input.id ?? newEventId()
  if (typeof id !== 'string' || !ID.test(id)) throw new CallbackRouterError('PUBLISH_INVALID_ID', [String(id)], '/id')
  const envelope: CallbackEvent = { id, account: input.account, data: input.data as CallbackEvent['data'] }
  if (input.profile !== undefined) envelope.profile = input.profile
  if (input.occurredAt !== undefined) envelope.occurredAt = input.occurredAt instanceof Date ? input.occurredAt.toISOString() : input.occurredAt
  if (!validateEvent(envelope)) {
    const p = problems(validateEvent.errors, '')
    throw new CallbackRouterError('PUBLISH_INVALID_ENVELOPE', [p.text], p.first)
  }
  if (!validateData(envelope.data)) {
    const p = problems(validateData.errors, '/data')
    throw new CallbackRouterError('PUBLISH_INVALID_PAYLOAD', [`${channel}/${event}`, p.text], p.first)
  }
  return { subject: `${subjectPrefix}.${channel}.${event}`, envelope, bytes: Buffer.from(JSON.stringify(envelope), 'utf8') }
}
