// What the form offers: `GET /meta` (channels with their plugin titles, formats, and the
// methods and algorithms of profile.schema.json), the Dynamic Variables pane's catalog,
// and its Copy to Clipboard snippet from the builder `variables` uses.
import profileSchema from '../../schemas/profile.schema.json'
import type { LoadedConfig } from '../config/settings'
import type { PluginRegistry } from '../plugin/registry'
import { ENVELOPE_VARIABLES } from '../plugin/catalog'
import { buildSnippet, SNIPPET_FORMATS, type SnippetFormat } from '../plugin/snippet'
import { mergedPayloadSchema } from '../plugin/merged-schema'
import { CallbackRouterError } from '../errors'
import type { Meta } from '../json-shapes'
import { json, route, type Route } from './routes'

/** The schema's own lists: a method or algorithm added there appears in the form. */
const METHODS: string[] = profileSchema.properties.method.enum
const ALGORITHMS: string[] = profileSchema.properties.encryption.properties.algorithm.enum

export function meta(config: LoadedConfig, deadLetters: boolean, attempts: boolean): Meta {
  const registry = config.registry
  return {
    channels: registry.plugins.map((p) => ({ name: p.name, title: p.title, catchAll: !!p.catchAll, events: registry.eventsOf(p.name), retry: p.retry })),
    formats: registry.formatNames(),
    methods: METHODS,
    algorithms: ALGORITHMS,
    defaultTimeoutMs: config.settings.delivery.defaultTimeoutMs,
    deadLetters,
    attempts,
  }
}

function knownChannel(registry: PluginRegistry, channel: string): string {
  if (!registry.get(channel)) throw new CallbackRouterError('CONSOLE_UNKNOWN_CHANNEL', [channel])
  return channel
}

export const catalogRoutes: Route[] = [
  route('GET', '/meta', ({ config, deps }) => json(200, meta(config, !!deps.deadLetters, !!deps.attempts))),
  route('GET', '/variables', ({ config, query }) => {
    const channel = knownChannel(config.registry, query.get('channel') ?? '')
    const events = splitList(query.get('events'))
    const index = config.registry.variableIndex(channel, events)
    return json(200, { channel, events: events ?? null, variables: [...index.variables, ...ENVELOPE_VARIABLES] })
  }),
  route('POST', '/snippet', async ({ config, body }) => {
    const b = (await body()) as { channel?: unknown; events?: unknown; select?: unknown; format?: unknown }
    const channel = knownChannel(config.registry, String(b.channel ?? ''))
    const format = String(b.format ?? 'query') as SnippetFormat
    if (!SNIPPET_FORMATS.includes(format)) throw new CallbackRouterError('CONSOLE_UNKNOWN_FORMAT', [format])
    const select = Array.isArray(b.select) ? b.select.map(String) : []
    const events = Array.isArray(b.events) && b.events.length ? b.events.map(String) : undefined
    try {
      return json(200, { snippet: buildSnippet(select, format, mergedPayloadSchema(config.registry, channel, events)) })
    } catch (e) {
      throw new CallbackRouterError('CONSOLE_BAD_REQUEST', [(e as Error).message])
    }
  }),
]

function splitList(v: string | null): string[] | undefined {
  const list = (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return list.length ? list : undefined
}
