// Email: status of submitted emails (the reference page's "Email Send" event).
import type { ChannelPlugin } from '../../core/plugin/contract'
import { catalogFromSchema } from '../../core/plugin/schema-catalog'
import emailSend from './email-send.schema.json'

const plugin: ChannelPlugin = {
  name: 'email',
  title: 'Email',
  events: {
    'email-send': {
      description: 'Status of a submitted email for one recipient: delivered, bounced, opened, clicked, and so on.',
      payloadSchema: emailSend,
      variables: catalogFromSchema(emailSend),
    },
  },
  retry: { maxRetries: 4, intervalSeconds: 60, backoff: 'fixed' },
}

export default plugin
