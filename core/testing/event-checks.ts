// Per-event checks of the conformance kit that need no rendering: the payload schema
// compiles, the catalog's examples form valid data, every catalog name is reachable, and
// toVariables is total and pure on the sample.
import { isDeepStrictEqual } from 'node:util'
import type { ErrorObject, ValidateFunction } from 'ajv'
import type { CallbackEvent } from '../generated/event'
import type { ChannelPlugin, EventSpec } from '../plugin/contract'
import { parseVariablePath, sampleData, type PathStep } from '../plugin/sample-data'
import { createAjv, describeAjvError } from '../config/schema'
import { PLACEHOLDER_NAME } from '../config/placeholders'
import { buildVariables, lookup, type Variables } from '../render/variables'
import type { Rows } from './report'

/** One event under check, and what earlier checks learnt about it. */
export interface EventUnderCheck {
  plugin: ChannelPlugin
  /** The key in `events` (`*` for a catch-all's generic event). */
  key: string
  /** The event name used in envelopes and renders (a catch-all's `*` gets a sample name). */
  event: string
  spec: EventSpec
  /** `events.<key>`: the member prefix of every row about this event. */
  at: string
}

export const SAMPLE_EVENT_ID = 'evt_conformance_sample'
const ajv = createAjv()

export function sampleEnvelope(data: Record<string, unknown>): CallbackEvent {
  return { id: SAMPLE_EVENT_ID, account: 'conformance', occurredAt: '2026-01-01T00:00:00Z', data }
}

/** Compiles the payload schema; undefined (and a failing row) when it does not compile. */
export function checkSchema(rows: Rows, ev: EventUnderCheck): ValidateFunction | undefined {
  try {
    const validate = ajv.compile(ev.spec.payloadSchema)
    rows.pass('schema', `${ev.at}.payloadSchema`, 'compiles as a draft-07 JSON Schema (ajv strict)')
    return validate
  } catch (err) {
    rows.fail('schema', `${ev.at}.payloadSchema`, `does not compile: ${(err as Error).message}`)
    return undefined
  }
}

/** The catalog's examples put together; failing rows name the variable whose example is wrong. */
export function checkExamples(rows: Rows, ev: EventUnderCheck, validate: ValidateFunction): Record<string, unknown> | undefined {
  let data: Record<string, unknown> | undefined
  if (!rows.run('examples', `${ev.at}.variables`, () => (data = sampleData(ev.spec)))) return undefined
  if (validate(data)) {
    rows.pass('examples', `${ev.at}.variables`, `the ${ev.spec.variables.length} examples form data valid against the payload schema`)
    return data
  }
  for (const e of validate.errors ?? []) {
    const why = e.keyword === 'required' ? ': no catalog variable gives it an example' : ''
    rows.fail('examples', memberOf(ev, e), `${e.instancePath || '/'}: ${describeAjvError(e)}${why}`)
  }
  return undefined
}

/** The variables of the sample event, as a profile would see them. */
export function sampleVariables(ev: EventUnderCheck, data: Record<string, unknown>): Variables {
  const ctx = { channel: ev.plugin.name, event: ev.event, profileId: 'conformance' }
  try {
    return buildVariables(sampleEnvelope(structuredClone(data)), ctx, ev.plugin)
  } catch {
    // toVariables' own row reports the throw; reachability falls back to the data fields.
    return buildVariables(sampleEnvelope(data), ctx)
  }
}

/**
 * Every catalog name can be written as a placeholder and finds a value in the sample.
 * Returns the spellings that resolve (`items[0].id` for `items[n].id`), for the renders.
 */
export function checkReachable(rows: Rows, ev: EventUnderCheck, vars: Variables): string[] {
  const spellings: string[] = []
  ev.spec.variables.forEach((v, i) => {
    const member = `${ev.at}.variables[${i}] (${v.name})`
    if (!PLACEHOLDER_NAME.test(v.name)) return rows.fail('reachable', member, `"${v.name}" cannot be written as a placeholder <${v.name}>`)
    const spelling = resolvableSpelling(vars, v.name)
    if (spelling === undefined) return rows.fail('reachable', member, 'has no value in the sample event (not in data, nor derived by toVariables)')
    spellings.push(spelling)
  })
  if (spellings.length === ev.spec.variables.length) rows.pass('reachable', `${ev.at}.variables`, `all ${spellings.length} names find a value in the sample`)
  return spellings
}

/** The name as written when it resolves, else with `[n]` read as the first element. */
export function resolvableSpelling(vars: Variables, name: string): string | undefined {
  if (lookup(vars, name) !== undefined) return name
  const first = name.replace(/\[n\]/g, '[0]')
  return first !== name && lookup(vars, first) !== undefined ? first : undefined
}

/**
 * toVariables returns a plain object for the sample and for the sample cut down to its
 * required fields, leaves its arguments untouched, answers the same twice, and derives
 * no `_` names (reserved for `_event`).
 */
export function checkToVariables(rows: Rows, ev: EventUnderCheck, data: Record<string, unknown>, validate: ValidateFunction): void {
  const fn = ev.plugin.toVariables
  if (!fn) return
  const samples: Array<[string, Record<string, unknown>]> = [['the sample', data]]
  const minimal = requiredOnly(data, ev.spec.payloadSchema)
  if (!isDeepStrictEqual(minimal, data) && validate(minimal)) samples.push(['the sample cut to its required fields', minimal])
  const member = `toVariables (${ev.key})`
  let failed = false
  for (const [label, d] of samples) {
    const envelope = sampleEnvelope(structuredClone(d))
    const argData = envelope.data as Record<string, unknown>
    const before = structuredClone(envelope)
    let first: unknown
    let second: unknown
    if (!rows.run('toVariables', member, () => (first = fn.call(ev.plugin, envelope, argData)), `on ${label}`)) { failed = true; continue }
    const problem = !isPlainObject(first) ? `returned ${first === null ? 'null' : Array.isArray(first) ? 'an array' : typeof first}, not an object`
      : Object.keys(first).some((k) => k.startsWith('_')) ? `derived ${Object.keys(first).filter((k) => k.startsWith('_')).join(', ')}: names starting with "_" are reserved for _event`
      : !isDeepStrictEqual(envelope, before) ? 'changed its arguments (the envelope or data): it must be pure'
      : !rows.run('toVariables', member, () => (second = fn.call(ev.plugin, structuredClone(before), structuredClone(before.data) as Record<string, unknown>))) ? 'threw on the second call'
      : !isDeepStrictEqual(first, second) ? 'answered differently for the same event: it must be pure'
      : undefined
    if (problem) { failed = true; rows.fail('toVariables', member, `on ${label}: ${problem}`) }
  }
  if (!failed) rows.pass('toVariables', member, `total and pure on ${samples.map(([l]) => l).join(' and ')}`)
}

function requiredOnly(data: Record<string, unknown>, schema: Record<string, unknown>): Record<string, unknown> {
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : []
  const out: Record<string, unknown> = {}
  for (const k of required) if (k in data) out[k] = structuredClone(data[k])
  return out
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The catalog entry an ajv error is about: the variable at that path, its parent, or one below. */
function memberOf(ev: EventUnderCheck, e: ErrorObject): string {
  const path = e.instancePath.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (e.keyword === 'required') path.push(String((e.params as { missingProperty: string }).missingProperty))
  const found = matchVariable(ev, path)
  if (found === undefined) return e.keyword === 'required' ? `${ev.at}.variables (${path[path.length - 1]})` : `${ev.at}.variables`
  return `${ev.at}.variables[${found}] (${ev.spec.variables[found].name})`
}

function matchVariable(ev: EventUnderCheck, path: string[]): number | undefined {
  const paths = ev.spec.variables.map((v) => {
    try {
      return parseVariablePath(v.name, ev.spec.payloadSchema).map(stepText)
    } catch {
      return undefined
    }
  })
  const same = (a: string[], b: string[], n: number) => a.slice(0, n).every((t, i) => t === b[i] || (t === '#' && /^\d+$/.test(b[i])))
  const exact = paths.findIndex((p) => p !== undefined && p.length === path.length && same(p, path, p.length))
  if (exact >= 0) return exact
  let parent = -1
  paths.forEach((p, i) => { if (p && p.length < path.length && same(p, path, p.length) && (parent < 0 || p.length > paths[parent]!.length)) parent = i })
  if (parent >= 0) return parent
  const child = paths.findIndex((p) => p !== undefined && p.length > path.length && same(path.map((t) => (/^\d+$/.test(t) ? '#' : t)), p, path.length))
  return child >= 0 ? child : undefined
}

function stepText(s: PathStep): string {
  return 'key' in s ? s.key : '#'
}
