// WhatsApp: message status, incoming messages, WhatsApp Pay, template status and
// phone-number quality, the five events of the reference page.
import type { ChannelPlugin, EventSpec } from '../../core/plugin/contract'
import { catalogFromSchema } from '../../core/plugin/schema-catalog'
import messageStatus from './message_status.schema.json'
import incomingMessage from './incoming_message.schema.json'
import paymentStatus from './payment_status.schema.json'
import templateStatus from './message_template_status_update.schema.json'
import qualityUpdate from './phone_number_quality_update.schema.json'

function event(description: string, payloadSchema: Record<string, unknown>): EventSpec {
  return { description, payloadSchema, variables: catalogFromSchema(payloadSchema) }
}

const plugin: ChannelPlugin = {
  name: 'whatsapp',
  title: 'WhatsApp',
  events: {
    message_status: event('Status of an outgoing message: sent, delivered, read, failed or not-sent, with error and price.', messageStatus),
    incoming_message: event('A message a customer sent to the business number: text, media, location, contacts or an interactive reply.', incomingMessage),
    payment_status: event('Status of a WhatsApp Pay order: pending, captured, failed or canceled.', paymentStatus),
    message_template_status_update: event('A message template was approved, rejected, disabled or paused.', templateStatus),
    phone_number_quality_update: event('The quality rating or messaging limit of a business number changed.', qualityUpdate),
  },
  retry: { maxRetries: 4, intervalSeconds: 60, backoff: 'fixed' },
}

export default plugin
