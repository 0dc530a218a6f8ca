// Default: "no channel selected". Takes any event name on its own subjects, and its
// profiles may be named by events of any channel; retries back off exponentially.
import type { ChannelPlugin } from '../../core/plugin/contract'
import { catalogFromSchema } from '../../core/plugin/schema-catalog'
import anyEvent from './event.schema.json'

const plugin: ChannelPlugin = {
  name: 'default',
  title: 'Default (no channel)',
  catchAll: true,
  events: {
    '*': {
      description: 'Any event: the data is passed through as published; these fields are the usual ones.',
      payloadSchema: anyEvent,
      variables: catalogFromSchema(anyEvent),
    },
  },
  retry: { maxRetries: 4, intervalSeconds: 60, backoff: 'exponential' },
}

export default plugin
