// SMS: delivery reports of submitted messages (the reference page's "SMS Send" event).
import type { ChannelPlugin } from '../../core/plugin/contract'
import { catalogFromSchema } from '../../core/plugin/schema-catalog'
import smsSend from './sms-send.schema.json'

const plugin: ChannelPlugin = {
  name: 'sms',
  title: 'SMS',
  events: {
    'sms-send': {
      description: 'Delivery report of a submitted SMS: Sent, Delivered, Failed or Undelivered.',
      payloadSchema: smsSend,
      variables: catalogFromSchema(smsSend),
    },
  },
  retry: { maxRetries: 3, intervalSeconds: 10, backoff: 'fixed' },
}

export default plugin
