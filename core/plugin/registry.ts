// The loaded channel plugins: built-ins first, then the external ones the settings list.
import { createRequire } from 'node:module'
import { isAbsolute, resolve } from 'node:path'
import type { ValidateFunction } from 'ajv'
import { BUILTIN_FORMATS, checkPlugin, EVENT_NAME, type ChannelPlugin, type EventSpec, type Formatter } from './contract'
import { createAjv } from '../config/schema'
import { VariableIndex } from './catalog'

export class PluginRegistry {
  private readonly byName = new Map<string, ChannelPlugin>()
  private readonly validators = new Map<string, ValidateFunction>()
  private readonly indexes = new Map<string, VariableIndex>()
  private readonly ajv = createAjv()

  constructor(plugins: Iterable<ChannelPlugin> = []) {
    for (const p of plugins) this.add(p)
  }

  /** Adds a plugin that passed checkPlugin(); throws on a taken name. */
  add(plugin: ChannelPlugin): void {
    if (this.byName.has(plugin.name)) throw new Error(`plugin name "${plugin.name}" is already taken`)
    this.byName.set(plugin.name, plugin)
  }

  get(channel: string): ChannelPlugin | undefined {
    return this.byName.get(channel)
  }

  get plugins(): ChannelPlugin[] {
    return [...this.byName.values()]
  }

  get names(): string[] {
    return [...this.byName.keys()]
  }

  /** The channel's named events (a catch-all's `*` entry is not a name). */
  eventsOf(channel: string): string[] {
    const p = this.byName.get(channel)
    return p ? Object.keys(p.events).filter((e) => e !== '*') : []
  }

  /** Every named event of every channel: what a catch-all profile's `events` may list. */
  allEventNames(): Set<string> {
    const out = new Set<string>()
    for (const p of this.byName.values()) for (const e of Object.keys(p.events)) if (e !== '*') out.add(e)
    return out
  }

  /**
   * `name` as the catalog spells it, ignoring case (`Voice` → `voice`); a catch-all
   * channel takes any channel's event names, and any other valid name in lower case.
   * undefined when the channel offers no such event.
   */
  canonicalEvent(channel: string, name: string): string | undefined {
    const p = this.byName.get(channel)
    if (!p) return undefined
    const lower = name.toLowerCase()
    const names = p.catchAll ? this.allEventNames() : this.eventsOf(channel)
    for (const known of names) if (known === name) return known
    for (const known of names) if (known.toLowerCase() === lower) return known
    return p.catchAll && EVENT_NAME.test(lower) ? lower : undefined
  }

  /** The spec of channel/event; a catch-all channel answers any valid event name with its `*` spec. */
  eventSpec(channel: string, event: string): EventSpec | undefined {
    const p = this.byName.get(channel)
    if (!p) return undefined
    if (Object.prototype.hasOwnProperty.call(p.events, event) && event !== '*') return p.events[event]
    if (p.catchAll && EVENT_NAME.test(event)) return p.events['*']
    return undefined
  }

  /** The compiled payload schema of channel/event (compiled once). */
  payloadValidator(channel: string, event: string): ValidateFunction | undefined {
    const spec = this.eventSpec(channel, event)
    if (!spec) return undefined
    const key = `${channel}\u0000${spec === this.byName.get(channel)?.events['*'] ? '*' : event}`
    let v = this.validators.get(key)
    if (!v) {
      v = this.ajv.compile(spec.payloadSchema)
      this.validators.set(key, v)
    }
    return v
  }

  /**
   * The variables a profile of `channel` may use for `events` (all of the channel's
   * events when omitted). A catch-all profile sees the union of every channel's
   * catalogs for the events it lists, plus its own generic catalog.
   */
  variableIndex(channel: string, events?: readonly string[]): VariableIndex {
    const key = `${channel}\u0000${events?.join(',') ?? ''}`
    let index = this.indexes.get(key)
    if (!index) {
      const p = this.byName.get(channel)
      const specs: EventSpec[] = []
      if (p?.catchAll) {
        if (p.events['*']) specs.push(p.events['*'])
        for (const other of this.byName.values()) {
          for (const [name, spec] of Object.entries(other.events)) {
            if (name !== '*' && (!events || events.includes(name))) specs.push(spec)
          }
        }
      } else if (p) {
        for (const e of events ?? this.eventsOf(channel)) {
          const spec = this.eventSpec(channel, e)
          if (spec) specs.push(spec)
        }
      }
      const seen = new Map<string, EventSpec['variables'][number]>()
      for (const s of specs) for (const v of s.variables) if (!seen.has(v.name)) seen.set(v.name, v)
      index = new VariableIndex([...seen.values()])
      this.indexes.set(key, index)
    }
    return index
  }

  /** The format registry's names: the built-ins, then every plugin's (what `format` may say). */
  formatNames(): string[] {
    return [...BUILTIN_FORMATS, ...this.pluginFormatters().keys()]
  }

  /** Formats added by plugins, name -> formatter (render/formats.ts holds the built-ins'). */
  pluginFormatters(): Map<string, Formatter> {
    const out = new Map<string, Formatter>()
    for (const p of this.byName.values()) for (const [name, f] of Object.entries(p.formatters ?? {})) out.set(name, f)
    return out
  }
}

export interface PluginLoadError {
  spec: string
  code: 'CONFIG_PLUGIN_LOAD' | 'CONFIG_PLUGIN_INVALID' | 'CONFIG_PLUGIN_DUPLICATE'
  /** What is wrong: the load error, every missing or wrong member, or the plugin that has the name. */
  detail: string
}

/**
 * Loads external plugins (module paths relative to `baseDir`, or package names)
 * into `registry`. A malformed plugin is refused with every missing or wrong member.
 */
export async function loadExternalPlugins(registry: PluginRegistry, specs: readonly string[], baseDir: string): Promise<PluginLoadError[]> {
  const errors: PluginLoadError[] = []
  const req = createRequire(resolve(baseDir, 'index.js'))
  for (const spec of specs) {
    let mod: unknown
    try {
      const target = spec.startsWith('.') || isAbsolute(spec) ? resolve(baseDir, spec) : spec
      mod = req(req.resolve(target))
    } catch (err) {
      errors.push({ spec, code: 'CONFIG_PLUGIN_LOAD', detail: (err as Error).message.split('\n')[0] })
      continue
    }
    const m = mod as { default?: unknown }
    const plugin = m && typeof m === 'object' && 'default' in m ? m.default : mod
    const problems = checkPlugin(plugin)
    if (problems.length) {
      errors.push({ spec, code: 'CONFIG_PLUGIN_INVALID', detail: problems.join('; ') })
      continue
    }
    const p = plugin as ChannelPlugin
    if (registry.get(p.name)) {
      errors.push({ spec, code: 'CONFIG_PLUGIN_DUPLICATE', detail: p.name })
      continue
    }
    registry.add(p)
  }
  return errors
}
