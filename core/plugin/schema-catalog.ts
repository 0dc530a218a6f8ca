// A plugin's variable catalog, read off its payload schema: the schema is the one
// place where a field's type, description and example are written.
import type { VariableSpec, VariableType } from './contract'

type Schema = Record<string, unknown>

const TYPES: ReadonlySet<string> = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array'])

/**
 * Walks `properties` (and `items.properties` of arrays) depth first, in the order
 * written. A property becomes a variable when it has `examples`; an object or array
 * with properties of its own also contributes its children (`error.code`,
 * `contacts[n].name`). A property key that itself holds brackets or dots
 * (`parts[n]`) is kept literally, as DESIGN's variable rule reads it.
 */
export function catalogFromSchema(schema: Schema, prefix = ''): VariableSpec[] {
  const out: VariableSpec[] = []
  const properties = schema.properties as Record<string, Schema> | undefined
  if (!properties) return out
  for (const [key, prop] of Object.entries(properties)) {
    const name = prefix + key
    const examples = prop.examples as unknown[] | undefined
    if (Array.isArray(examples) && examples.length > 0) {
      out.push({ name, type: typeOf(prop, examples[0]), description: String(prop.description ?? ''), example: examples[0] })
    }
    if (prop.properties) out.push(...catalogFromSchema(prop, name + '.'))
    const items = prop.items as Schema | undefined
    if (items && typeof items === 'object' && !Array.isArray(items) && items.properties) {
      out.push(...catalogFromSchema(items, name + '[n].'))
    }
  }
  return out
}

function typeOf(prop: Schema, example: unknown): VariableType {
  const declared = Array.isArray(prop.type) ? prop.type.find((t) => t !== 'null') : prop.type
  if (typeof declared === 'string' && TYPES.has(declared)) return declared as VariableType
  if (Array.isArray(example)) return 'array'
  if (example === null) return 'string'
  const t = typeof example
  return t === 'object' ? 'object' : t === 'number' ? 'number' : t === 'boolean' ? 'boolean' : 'string'
}
