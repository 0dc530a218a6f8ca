// A sample `data` assembled from an event's catalog examples: what `test` sends,
// what benchmarks publish, and what proves a catalog agrees with its payload schema.
import type { EventSpec } from './contract'

type Schema = Record<string, unknown>
type Container = Record<string, unknown> | unknown[]

/** One step of a variable path: an object key or an array index. */
export type PathStep = { key: string } | { index: number }

/**
 * Splits a variable name into steps. A key the schema declares literally
 * (`parts[n]`, even `a.b` if a property is named so) is one step, as DESIGN
 * reads names ("matches literally first"); otherwise `.` separates keys and
 * `[n]` or `[3]` indexes an array (`[n]` is index 0).
 */
export function parseVariablePath(name: string, schema?: Schema): PathStep[] {
  const steps: PathStep[] = []
  let rest = name
  let node: Schema | undefined = schema
  while (rest.length > 0) {
    const literal = literalKey(rest, node)
    let key: string
    if (literal !== undefined) key = literal
    else {
      const m = /^[^.[]*/.exec(rest)
      key = m ? m[0] : ''
    }
    if (key === '' && !rest.startsWith('[')) throw new Error(`"${name}" is not a variable path`)
    if (key !== '') {
      steps.push({ key })
      node = childSchema(node, key)
      rest = rest.slice(key.length)
    }
    while (rest.startsWith('[')) {
      const m = /^\[(n|\d+)\]/.exec(rest)
      if (!m) throw new Error(`"${name}" has a malformed index`)
      steps.push({ index: m[1] === 'n' ? 0 : Number(m[1]) })
      node = itemSchema(node)
      rest = rest.slice(m[0].length)
    }
    if (rest.startsWith('.')) {
      rest = rest.slice(1)
      if (rest === '') throw new Error(`"${name}" ends with "."`)
    } else if (rest.length > 0) throw new Error(`"${name}" is not a variable path`)
  }
  return steps
}

/** The longest property key of `node` that `rest` starts with as a whole step, if it holds `.` or `[`. */
function literalKey(rest: string, node: Schema | undefined): string | undefined {
  const props = node?.properties as Record<string, unknown> | undefined
  if (!props) return undefined
  let best: string | undefined
  for (const k of Object.keys(props)) {
    if (!/[.[]/.test(k)) continue
    const whole = rest === k || rest.startsWith(k + '.') || rest.startsWith(k + '[')
    if (whole && (best === undefined || k.length > best.length)) best = k
  }
  return best
}

function childSchema(node: Schema | undefined, key: string): Schema | undefined {
  const props = node?.properties as Record<string, Schema> | undefined
  return props && Object.prototype.hasOwnProperty.call(props, key) ? props[key] : undefined
}

function itemSchema(node: Schema | undefined): Schema | undefined {
  const items = node?.items
  return items && typeof items === 'object' && !Array.isArray(items) ? (items as Schema) : undefined
}

/**
 * The event's catalog examples put together into one `data` object: `a.b` sets
 * `data.a.b`, `items[n].id` sets `data.items[0].id`, a literal key like
 * `parts[n]` (declared so in the payload schema) sets that key. A parent's
 * example (`location`) and its children's (`location.latitude`) merge; where
 * both give a value, the more specific one wins.
 */
export function sampleData(spec: EventSpec): Record<string, unknown> {
  const data: Record<string, unknown> = {}
  // Parents first, so children refine the parent's example rather than be replaced by it.
  const ordered = spec.variables
    .map((v, i) => ({ v, i, steps: parseVariablePath(v.name, spec.payloadSchema) }))
    .sort((a, b) => a.steps.length - b.steps.length || a.i - b.i)
  for (const { v, steps } of ordered) setPath(data, steps, structuredClone(v.example))
  return data
}

/** Sets `value` at `steps` under `root`, creating objects and arrays on the way. */
export function setPath(root: Record<string, unknown>, steps: readonly PathStep[], value: unknown): void {
  let node: Container = root
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]
    const last = i === steps.length - 1
    const slot: string | number = 'key' in step ? step.key : step.index
    if (last) {
      (node as Record<string | number, unknown>)[slot] = value
      return
    }
    const next = steps[i + 1]
    const current = (node as Record<string | number, unknown>)[slot]
    const wantArray = 'index' in next
    if (wantArray ? Array.isArray(current) : isPlainObject(current)) {
      node = current as Container
    } else {
      const created: Container = wantArray ? [] : {}
      ;(node as Record<string | number, unknown>)[slot] = created
      node = created
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
