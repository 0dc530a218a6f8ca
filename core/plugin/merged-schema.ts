// Payload schemas merged for literal-key lookups: a snippet of variables from several
// events (or channels) is pasted against the union of their properties, first one wins.
import type { PluginRegistry } from './registry'

/** A schema whose properties are the union of several (for literal-key lookups only). */
export function mergedProperties(schemas: ReadonlyArray<Record<string, unknown>>): Record<string, unknown> {
  const properties: Record<string, unknown> = {}
  for (const s of schemas) {
    for (const [k, v] of Object.entries((s.properties as Record<string, unknown>) ?? {})) if (!(k in properties)) properties[k] = v
  }
  return { type: 'object', properties }
}

/** The payload schemas a profile of channel/events sees (a catch-all: every channel's), merged. */
export function mergedPayloadSchema(registry: PluginRegistry, channel: string, events?: readonly string[]): Record<string, unknown> {
  const plugin = registry.get(channel)
  const schemas: Record<string, unknown>[] = []
  if (plugin?.catchAll) {
    if (plugin.events['*']) schemas.push(plugin.events['*'].payloadSchema)
    for (const p of registry.plugins) {
      for (const [name, spec] of Object.entries(p.events)) if (name !== '*' && (!events || events.includes(name))) schemas.push(spec.payloadSchema)
    }
  } else {
    for (const e of events ?? registry.eventsOf(channel)) {
      const spec = registry.eventSpec(channel, e)
      if (spec) schemas.push(spec.payloadSchema)
    }
  }
  return mergedProperties(schemas)
}
