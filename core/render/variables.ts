// An event's variables: its `data` fields, what the plugin derives, and `_event.*`.
// Names are read as paths (`a.b`, `items[0].id`), but a key that itself holds dots or
// brackets (`parts[n]`, `error.text`) matches literally first, at every level.
import type { CallbackEvent } from '../generated/event'
import type { ChannelPlugin } from '../plugin/contract'

/** The root object names are looked up in: data fields, derived fields, `_event`. */
export type Variables = Readonly<Record<string, unknown>>

/**
 * A value as text: strings as they are; numbers and booleans as their JSON text; objects
 * and arrays as compact JSON; absent (and null) as the empty string.
 */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === undefined || value === null) return ''
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

export interface VariablesContext {
  /** The channel the event was published on. */
  channel: string
  /** The event name. */
  event: string
  /** The profile being delivered to. */
  profileId: string
}

/** The `_event` object: envelope and routing facts. */
export interface EnvelopeVariables {
  id: string
  account: string
  channel: string
  name: string
  occurredAt?: string
  profile: string
}

export function buildVariables(envelope: CallbackEvent, ctx: VariablesContext, plugin?: ChannelPlugin): Variables {
  const data = envelope.data as Record<string, unknown>
  const _event: EnvelopeVariables = {
    id: envelope.id,
    account: envelope.account,
    channel: ctx.channel,
    name: ctx.event,
    occurredAt: envelope.occurredAt,
    profile: ctx.profileId,
  }
  // Object.assign over spread: several times faster when the code is run through esbuild (tsx).
  const vars: Record<string, unknown> = plugin?.toVariables ? Object.assign({}, data, plugin.toVariables(envelope, data)) : Object.assign({}, data)
  vars._event = _event
  return vars
}

/** A name compiled once into the ways it can be read; `get` runs per event. */
export interface CompiledPath {
  readonly name: string
  get(vars: Variables): unknown
  /** The keys actually walked to the value (literal keys as found), or undefined when absent. */
  locate(vars: Variables): (string | number)[] | undefined
}

interface Step {
  /** The object key to read, or the array index. */
  key: string | number
  /** Where the rest of the name starts after this step; `-1` when this step ends the name. */
  next: number
}

interface Node {
  /** The rest of the name from here, matched literally first. */
  literal: string
  /** Longest key first, then shorter splits; an index step when the rest starts with `[n]`. */
  steps: Step[]
}

const INDEX = /^\[(\d+)\]/

export function compilePath(name: string): CompiledPath {
  const nodes = new Map<number, Node>()
  const build = (start: number): void => {
    if (nodes.has(start)) return
    const rest = name.slice(start)
    const steps: Step[] = []
    const node: Node = { literal: rest, steps }
    nodes.set(start, node)
    const index = INDEX.exec(rest)
    if (index) {
      const end = start + index[0].length
      const next = end === name.length ? -1 : name[end] === '.' ? end + 1 : end
      steps.push({ key: Number(index[1]), next })
    } else {
      for (let i = rest.length - 1; i > 0; i--) {
        const c = rest[i]
        const next = c === '.' ? start + i + 1 : start + i
        if ((c === '.' || c === '[') && next < name.length) steps.push({ key: rest.slice(0, i), next })
      }
    }
    for (const s of steps) if (s.next >= 0) build(s.next)
  }
  build(0)
  const byStart: Node[] = []
  for (const [start, node] of nodes) byStart[start] = node

  const walk = (value: unknown, start: number, trail: (string | number)[] | undefined): unknown => {
    if (value === null || typeof value !== 'object') return undefined
    const node = byStart[start]
    if (!Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, node.literal)) {
      trail?.push(node.literal)
      return (value as Record<string, unknown>)[node.literal]
    }
    for (const s of node.steps) {
      let child: unknown
      if (typeof s.key === 'number') {
        if (!Array.isArray(value) || s.key >= value.length) continue
        child = value[s.key]
      } else {
        if (Array.isArray(value) || !Object.prototype.hasOwnProperty.call(value, s.key)) continue
        child = (value as Record<string, unknown>)[s.key]
      }
      const mark = trail?.length ?? 0
      trail?.push(s.key)
      const found = s.next < 0 ? child : walk(child, s.next, trail)
      if (found !== undefined) return found
      if (trail) trail.length = mark
    }
    return undefined
  }

  return {
    name,
    get: (vars) => walk(vars, 0, undefined),
    locate: (vars) => {
      const trail: (string | number)[] = []
      return walk(vars, 0, trail) === undefined ? undefined : trail
    },
  }
}

const cache = new Map<string, CompiledPath>()
const CACHE_LIMIT = 1000

/** The variable's value, or undefined when the event lacks it. Compiled paths are cached. */
export function lookup(vars: Variables, name: string): unknown {
  let path = cache.get(name)
  if (!path) {
    if (cache.size >= CACHE_LIMIT) cache.clear()
    path = compilePath(name)
    cache.set(name, path)
  }
  return path.get(vars)
}
