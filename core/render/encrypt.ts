// Per-parameter AES encryption (the reference platform's "Callback Encryption").
// Our wire format (DESIGN "Profiles", `encryption`), base64 of:
//   GCM: [IV, when random: 12 bytes] ‖ ciphertext ‖ 16-byte tag
//   CFB: [IV, when random: 16 bytes] ‖ ciphertext          (CFB128, OpenSSL's `-aes-N-cfb`)
// A non-string value is encrypted as its JSON text. Keys and IVs never appear in errors.
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto'
import type { Profile } from '../generated/profile'
import { decodeBytes } from '../config/env'
import { CallbackRouterError } from '../errors'
import { compilePath, type CompiledPath, type Variables } from './variables'

export type EncryptionSettings = NonNullable<Profile['encryption']>
export type Encryptor = (value: unknown) => string

interface Cipher {
  algorithm: EncryptionSettings['algorithm']
  gcm: boolean
  key: Buffer
  /** The key as a KeyObject, made once: createCipheriv would wrap the Buffer on every value. */
  keyObject: KeyObject
  /** undefined: a fresh random IV per value, prepended to the output. */
  iv: Buffer | undefined
  randomIvLength: number
}

const TAG_LENGTH = 16

function prepare(enc: EncryptionSettings): Cipher {
  const algorithm = enc.algorithm
  const keyLength = Number(algorithm.split('-')[1]) / 8
  const gcm = algorithm.endsWith('-gcm')
  if (!/^aes-(128|192|256)-(gcm|cfb)$/.test(algorithm)) throw new CallbackRouterError('CONFIG_SCHEMA', [`unsupported algorithm ${String(algorithm)}`], 'encryption.algorithm')
  const key = decodeBytes(enc.key, 'encryption.key')
  if (key.length !== keyLength) throw new CallbackRouterError('CONFIG_KEY_LENGTH', [algorithm, keyLength, key.length], 'encryption.key')
  let iv: Buffer | undefined
  if (enc.iv !== 'random') {
    iv = decodeBytes(enc.iv, 'encryption.iv')
    const fits = gcm ? iv.length === 12 || iv.length === 16 : iv.length === 16
    if (!fits) throw new CallbackRouterError('CONFIG_IV_LENGTH', [algorithm, gcm ? '12-byte (or 16-byte)' : '16-byte', iv.length], 'encryption.iv')
  }
  return { algorithm, gcm, key, keyObject: createSecretKey(key), iv, randomIvLength: gcm ? 12 : 16 }
}

/**
 * Random IVs cut from a pool filled by the CSPRNG 4 KiB at a time, each byte used once:
 * a randomBytes(12) per value was half the cost of encrypting it (bench profile: 7.6 % of
 * the daemon's CPU on the encrypted profile). A new pool is drawn when this one is spent.
 */
const IV_POOL_BYTES = 4096
let ivPool = Buffer.alloc(0)
let ivOffset = 0

function randomIv(length: number): Buffer {
  if (ivOffset + length > ivPool.length) {
    ivPool = randomBytes(IV_POOL_BYTES)
    ivOffset = 0
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + length)
  ivOffset += length
  return iv
}

/** The text that is encrypted: strings as they are, anything else as its JSON text. */
export function plaintextOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? 'null'
}

/** Checks the key and IV once; the returned function encrypts one value to base64. */
export function createEncryptor(enc: EncryptionSettings): Encryptor {
  const c = prepare(enc)
  return (value) => {
    const iv = c.iv ?? randomIv(c.randomIvLength)
    // Bytes pass as they are (known-answer tests use binary plaintexts); event values are text.
    const plain = value instanceof Uint8Array ? value : Buffer.from(plaintextOf(value), 'utf8')
    if (c.gcm) {
      const cipher = createCipheriv(c.algorithm as 'aes-256-gcm', c.keyObject, iv, { authTagLength: TAG_LENGTH })
      const parts: Buffer[] = [cipher.update(plain), cipher.final(), cipher.getAuthTag()]
      if (!c.iv) parts.unshift(iv)
      return Buffer.concat(parts).toString('base64')
    }
    const cipher = createCipheriv(c.algorithm, c.keyObject, iv)
    const parts: Buffer[] = [cipher.update(plain), cipher.final()]
    if (!c.iv) parts.unshift(iv)
    return Buffer.concat(parts).toString('base64')
  }
}

/** The inverse of createEncryptor, for tests, docs and receivers written in TypeScript. */
export function decryptValue(enc: EncryptionSettings, base64: string): string {
  const c = prepare(enc)
  let bytes = Buffer.from(base64, 'base64')
  let iv = c.iv
  if (!iv) {
    iv = bytes.subarray(0, c.randomIvLength)
    bytes = bytes.subarray(c.randomIvLength)
  }
  if (c.gcm) {
    const tag = bytes.subarray(bytes.length - TAG_LENGTH)
    const decipher = createDecipheriv(c.algorithm as 'aes-256-gcm', c.key, iv, { authTagLength: TAG_LENGTH })
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_LENGTH)), decipher.final()]).toString('utf8')
  }
  const decipher = createDecipheriv(c.algorithm, c.key, iv)
  return Buffer.concat([decipher.update(bytes), decipher.final()]).toString('utf8')
}

/** Parameter names compiled once per profile. */
export function compileParameters(parameters: readonly string[]): CompiledPath[] {
  return parameters.map((p) => compilePath(p))
}

/**
 * Replaces each named variable present in `vars` with its encryption. Copy-on-write:
 * `vars` and the event's data are left as they were; only the objects on the way to an
 * encrypted value are copied. An absent variable stays absent.
 */
export function encryptParameters(vars: Variables, parameters: readonly (string | CompiledPath)[], encryptor: Encryptor): Variables {
  let root: Record<string, unknown> | undefined
  for (const p of parameters) {
    const path = typeof p === 'string' ? compilePath(p) : p
    const current = root ?? vars
    const trail = path.locate(current)
    if (!trail) continue
    const value = path.get(current)
    root ??= Object.assign({}, vars)
    setCopied(root, trail, encryptor(value))
  }
  return root ?? vars
}

/** Sets the value at `trail`, copying each container below `root` (which is already a copy). */
function setCopied(root: Record<string, unknown>, trail: (string | number)[], value: string): void {
  let container: Record<string | number, unknown> = root
  for (let i = 0; i < trail.length - 1; i++) {
    const child = container[trail[i]]
    const copy = (Array.isArray(child) ? child.slice() : Object.assign({}, child)) as Record<string | number, unknown>
    container[trail[i]] = copy
    container = copy
  }
  container[trail[trail.length - 1]] = value
}
