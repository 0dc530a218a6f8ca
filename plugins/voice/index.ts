// Voice: the outcome of a call (OBD, click-to-call, IVR), sent when it ends.
import type { ChannelPlugin } from '../../core/plugin/contract'
import { catalogFromSchema } from '../../core/plugin/schema-catalog'
import voice from './voice.schema.json'

const plugin: ChannelPlugin = {
  name: 'voice',
  title: 'Voice',
  events: {
    voice: {
      description: 'Outcome of a call: status, timings, duration and price, DTMF input and recording.',
      payloadSchema: voice,
      variables: catalogFromSchema(voice),
    },
  },
  retry: { maxRetries: 4, intervalSeconds: 60, backoff: 'fixed' },
}

export default plugin
