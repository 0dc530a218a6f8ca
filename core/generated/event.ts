/* Generated from schemas/event.schema.json by npm run gen:types. Do not edit. */

/**
 * The envelope of an event published on <prefix>.<channel>.<event>, UTF-8 JSON. data is validated by the channel plugin's payload schema.
 */
export interface CallbackEvent {
  /**
   * The event id and idempotency key; publishers should also send it as Nats-Msg-Id.
   */
  id: string
  /**
   * The tenant that owns the message.
   */
  account: string
  /**
   * Send to this profile only (it must belong to the same account, be enabled and subscribe to the event). Omitted: every matching profile of the account.
   */
  profile?: string
  /**
   * When the event happened, ISO-8601.
   */
  occurredAt?: string
  /**
   * The channel's payload, checked by the plugin's payload schema.
   */
  data: {}
}
