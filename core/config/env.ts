// `${env:NAME}` references in config values, and the `hex:` / `base64:` byte prefixes.
import { CallbackRouterError } from '../errors'
import { secrets as processSecrets, type SecretRegistry } from '../redact'
import { escapePointer } from './schema'

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g

export interface MissingEnv {
  name: string
  pointer: string
}

/**
 * Returns a deep copy of `value` with every `${env:NAME}` in its strings replaced
 * from `env`. Missing variables are reported with the JSON pointer of the string
 * that names them (and expand to ''). Every expanded value is recorded in `registry`
 * (the process's by default), so that whatever shows text later writes it back as its
 * reference.
 */
export function expandEnv<T>(value: T, env: NodeJS.ProcessEnv = process.env, missing: MissingEnv[] = [], pointer = '', registry: SecretRegistry = processSecrets): T {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_, name: string) => {
      const v = env[name]
      if (v === undefined) {
        missing.push({ name, pointer })
        return ''
      }
      registry.record(name, v)
      return v
    }) as T
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, missing, `${pointer}/${i}`, registry)) as T
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, env, missing, `${pointer}/${escapePointer(k)}`, registry)
    return out as T
  }
  return value
}

/**
 * One cause, one message: a value whose variable is missing expanded to '', so every other
 * complaint at its pointer (or inside it, or a `oneOf` branch's "must be array" beside it)
 * is about that empty text, not a second problem. True when `pointer` is such a place.
 */
export function coveredByMissing(pointer: string, missing: readonly MissingEnv[]): boolean {
  return missing.some((m) => pointer === m.pointer || pointer.startsWith(`${m.pointer}/`))
}

/**
 * Bytes of a key or IV as written in a profile: `hex:…`, `base64:…`, or the UTF-8
 * text itself. The value never appears in the error: it may be a secret.
 */
export function decodeBytes(value: string, what = 'the value'): Buffer {
  if (value.startsWith('hex:')) {
    const hex = value.slice(4)
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new CallbackRouterError('CONFIG_BAD_ENCODING', [what, 'hex'])
    return Buffer.from(hex, 'hex')
  }
  if (value.startsWith('base64:')) {
    const b64 = value.slice(7)
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64) || b64.replace(/=+$/, '').length % 4 === 1) {
      throw new CallbackRouterError('CONFIG_BAD_ENCODING', [what, 'base64'])
    }
    return Buffer.from(b64, 'base64')
  }
  return Buffer.from(value, 'utf8')
}

/** What `schemaErrorsOfMissing` reads of an ajv error. */
export interface SchemaErrorLike {
  instancePath: string
  schemaPath: string
  keyword: string
}

/**
 * The schema errors that only restate a missing variable: complaints about the empty text
 * at (or inside) its pointer, and every error of a `oneOf`/`anyOf` one of whose branches
 * failed on that text alone (the string-or-list secret: "must be array", "must be string").
 * A `type` error at the pointer stays: a string where a number belongs is wrong whatever
 * the variable holds.
 */
export function schemaErrorsOfMissing<E extends SchemaErrorLike>(errors: readonly E[], missing: readonly MissingEnv[]): Set<E> {
  const out = new Set<E>()
  if (missing.length === 0) return out
  const emptyText = (e: E): boolean => e.keyword !== 'type' && coveredByMissing(e.instancePath, missing)
  for (const e of errors) if (emptyText(e)) out.add(e)
  for (const group of errors) {
    if (group.keyword !== 'oneOf' && group.keyword !== 'anyOf') continue
    const prefix = `${group.schemaPath}/`
    const branches = new Map<string, E[]>()
    for (const e of errors) {
      if (e === group || !e.schemaPath.startsWith(prefix) || !e.instancePath.startsWith(group.instancePath)) continue
      const branch = e.schemaPath.slice(prefix.length).split('/')[0]
      branches.set(branch, [...(branches.get(branch) ?? []), e])
    }
    if (![...branches.values()].some((list) => list.every(emptyText))) continue
    out.add(group)
    for (const list of branches.values()) for (const e of list) out.add(e)
  }
  return out
}
