// The channel plugin contract (DESIGN "Plugin contract"). Built-ins and external
// plugins load through the same checks; core/ never names a channel.
import type { CallbackEvent } from '../generated/event'
import type { VariableSpec } from '../json-shapes'

// The catalog's shape is the one `variables --json` prints: one definition for both.
export type { VariableSpec, VariableType } from '../json-shapes'

export interface EventSpec {
  description: string
  /** Draft-07 JSON Schema of the event's `data`. */
  payloadSchema: Record<string, unknown>
  variables: VariableSpec[]
}

export interface RetryPolicy {
  /** The channel's cap on retries, and the default retry count. */
  maxRetries: number
  intervalSeconds: number
  backoff: 'fixed' | 'exponential'
}

/** The body bytes a formatter produced and their content type: what is signed and sent. */
export interface FormattedBody {
  body: Uint8Array
  contentType: string
}

/** Rendered fields, in order: field name and its rendered text. */
export type RenderedFields = ReadonlyArray<readonly [name: string, value: string]>

export type Formatter = (fields: RenderedFields) => FormattedBody

export interface ChannelPlugin {
  /** Channel name, `[a-z0-9_-]+`: the subject token and the profiles' `channel`. */
  name: string
  title: string
  /** Event name -> spec. A catch-all plugin describes its generic event under `*`. */
  events: Record<string, EventSpec>
  retry: RetryPolicy
  /**
   * A catch-all channel (the built-in `default`): accepts any event name
   * `[a-z0-9_-]+` on its own subjects, and its profiles may be named by events of
   * any channel.
   */
  catchAll?: boolean
  /** Derives more variables from an event; merged over the data fields. */
  toVariables?(envelope: CallbackEvent, data: Record<string, unknown>): Record<string, unknown>
  formatters?: Record<string, Formatter>
}

/** Formats the core provides (render/formats.ts implements them); a plugin adds others. */
export const BUILTIN_FORMATS = ['json', 'urlencoded', 'form'] as const
export type BuiltinFormat = (typeof BUILTIN_FORMATS)[number]

/** Event-name rule of catch-all channels. */
export const EVENT_NAME = /^[a-z0-9_-]+$/
const PLUGIN_NAME = /^[a-z0-9_-]+$/
const VARIABLE_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array'])

/**
 * Checks a module's default export against the contract. Returns every problem,
 * each naming the member (`events.sms-send.variables[2].example: missing`).
 */
export function checkPlugin(value: unknown): string[] {
  const problems: string[] = []
  if (!isObject(value)) return ['the default export is not an object']
  const p = value as Record<string, unknown>
  if (typeof p.name !== 'string' || !PLUGIN_NAME.test(p.name)) problems.push('name: must be a string matching [a-z0-9_-]+')
  if (typeof p.title !== 'string' || p.title === '') problems.push('title: must be a non-empty string')
  if (!isObject(p.retry)) problems.push('retry: missing ({ maxRetries, intervalSeconds, backoff })')
  else {
    const r = p.retry as Record<string, unknown>
    if (!Number.isInteger(r.maxRetries) || (r.maxRetries as number) < 0) problems.push('retry.maxRetries: must be an integer >= 0')
    if (typeof r.intervalSeconds !== 'number' || !(r.intervalSeconds > 0)) problems.push('retry.intervalSeconds: must be a number > 0')
    if (r.backoff !== 'fixed' && r.backoff !== 'exponential') problems.push('retry.backoff: must be "fixed" or "exponential"')
  }
  if (p.catchAll !== undefined && typeof p.catchAll !== 'boolean') problems.push('catchAll: must be a boolean')
  if (!isObject(p.events) || Object.keys(p.events as object).length === 0) problems.push('events: must map at least one event name to its spec')
  else {
    for (const [event, spec] of Object.entries(p.events as Record<string, unknown>)) {
      const at = `events.${event}`
      if (event !== '*' && !EVENT_NAME.test(event)) problems.push(`${at}: event names must match [a-z0-9_-]+`)
      if (!isObject(spec)) { problems.push(`${at}: must be { description, payloadSchema, variables }`); continue }
      const s = spec as Record<string, unknown>
      if (typeof s.description !== 'string') problems.push(`${at}.description: missing`)
      if (!isObject(s.payloadSchema)) problems.push(`${at}.payloadSchema: missing (a JSON Schema object)`)
      if (!Array.isArray(s.variables)) { problems.push(`${at}.variables: missing (an array)`); continue }
      s.variables.forEach((v: unknown, i: number) => {
        const vat = `${at}.variables[${i}]`
        if (!isObject(v)) { problems.push(`${vat}: must be { name, type, description, example }`); return }
        const vv = v as Record<string, unknown>
        if (typeof vv.name !== 'string' || vv.name === '') problems.push(`${vat}.name: missing`)
        else if (vv.name.startsWith('_')) problems.push(`${vat}.name: "${vv.name}" starts with "_", which is reserved for _event.*`)
        if (typeof vv.type !== 'string' || !VARIABLE_TYPES.has(vv.type)) problems.push(`${vat}.type: must be one of ${[...VARIABLE_TYPES].join(', ')}`)
        if (typeof vv.description !== 'string') problems.push(`${vat}.description: missing`)
        if (!('example' in vv)) problems.push(`${vat}.example: missing`)
      })
    }
  }
  if (p.toVariables !== undefined && typeof p.toVariables !== 'function') problems.push('toVariables: must be a function')
  if (p.formatters !== undefined) {
    if (!isObject(p.formatters)) problems.push('formatters: must map format names to functions')
    else for (const [name, f] of Object.entries(p.formatters as Record<string, unknown>)) {
      if (typeof f !== 'function') problems.push(`formatters.${name}: must be a function`)
      if ((BUILTIN_FORMATS as readonly string[]).includes(name)) problems.push(`formatters.${name}: "${name}" is a built-in format and cannot be replaced`)
    }
  }
  return problems
}

function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
