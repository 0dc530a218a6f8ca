// `${env:NAME}` references in config values, and the `hex:` / `base64:` byte prefixes.
import { CallbackRouterError } from '../errors'
import { escapePointer } from './schema'

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g

export interface MissingEnv {
  name: string
  pointer: string
}

/**
 * Returns a deep copy of `value` with every `${env:NAME}` in its strings replaced
 * from `env`. Missing variables are reported with the JSON pointer of the string
 * that names them (and expand to '').
 */
export function expandEnv<T>(value: T, env: NodeJS.ProcessEnv = process.env, missing: MissingEnv[] = [], pointer = ''): T {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_, name: string) => {
      const v = env[name]
      if (v === undefined) {
        missing.push({ name, pointer })
        return ''
      }
      return v
    }) as T
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, missing, `${pointer}/${i}`)) as T
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, env, missing, `${pointer}/${escapePointer(k)}`)
    return out as T
  }
  return value
}

/** True when the string holds an `${env:…}` reference (its value is a secret worth masking). */
export function hasEnvRef(value: string): boolean {
  return value.includes('${env:')
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
