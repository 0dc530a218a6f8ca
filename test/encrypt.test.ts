import t from 'tap'
import { execFileSync } from 'node:child_process'
import { createEncryptor, decryptValue, encryptParameters, type EncryptionSettings } from '../core/render/encrypt'
import { CallbackRouterError } from '../core/errors'
import { buildVariables, lookup } from '../core/render/variables'

const hex = (s: string) => Buffer.from(s, 'hex')

// NIST-submitted GCM test cases (McGrew & Viega, "The Galois/Counter Mode of Operation", Appendix B).
const P = 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255'
const IV = 'cafebabefacedbaddecaf888'
const KAT: { name: string; algorithm: EncryptionSettings['algorithm']; key: string; iv: string; p: string; c: string; tag: string }[] = [
  { name: 'Test Case 2', algorithm: 'aes-128-gcm', key: '00'.repeat(16), iv: '00'.repeat(12), p: '00'.repeat(16), c: '0388dace60b6a392f328c2b971b2fe78', tag: 'ab6e47d42cec13bdf53a67b21257bddf' },
  { name: 'Test Case 3', algorithm: 'aes-128-gcm', key: 'feffe9928665731c6d6a8f9467308308', iv: IV, p: P, c: '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985', tag: '4d5c2af327cd64a62cf35abd2ba6fab4' },
  { name: 'Test Case 8', algorithm: 'aes-192-gcm', key: '00'.repeat(24), iv: '00'.repeat(12), p: '00'.repeat(16), c: '98e7247c07f0fe411c267e4384b0f600', tag: '2ff58d80033927ab8ef4d4587514f0fb' },
  { name: 'Test Case 9', algorithm: 'aes-192-gcm', key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c', iv: IV, p: P, c: '3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710acade256', tag: '9924a7c8587336bfb118024db8674a14' },
  { name: 'Test Case 14', algorithm: 'aes-256-gcm', key: '00'.repeat(32), iv: '00'.repeat(12), p: '00'.repeat(16), c: 'cea7403d4d606b6e074ec5d3baf39d18', tag: 'd0d1c8a799996bf0265b98b5d48ab919' },
  { name: 'Test Case 15', algorithm: 'aes-256-gcm', key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308', iv: IV, p: P, c: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad', tag: 'b094dac5d93471bdec1a502270e3cc6c' },
]

t.test('GCM with a fixed IV matches the NIST known-answer vectors: base64(ciphertext ‖ tag)', async (t) => {
  for (const v of KAT) {
    const enc = createEncryptor({ algorithm: v.algorithm, key: `hex:${v.key}`, iv: `hex:${v.iv}`, parameters: ['x'] })
    t.equal(Buffer.from(enc(hex(v.p)), 'base64').toString('hex'), v.c + v.tag, v.name)
  }
})

t.test('GCM text values decrypt with the NIST test-case-2 key and zero nonce as expected', async (t) => {
  const enc = createEncryptor({ algorithm: 'aes-128-gcm', key: `hex:${'00'.repeat(16)}`, iv: `hex:${'00'.repeat(12)}`, parameters: ['x'] })
  t.equal(Buffer.from(enc('\u0000'.repeat(16)), 'base64').toString('hex'), '0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf', 'a string of 16 NULs is those 16 bytes')
})

// One Python process decrypts every sample: starting it (and importing cryptography) is the slow part.
const PY_GCM = `
import sys, json, base64
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
out = []
for key, b64 in json.load(sys.stdin):
    blob = base64.b64decode(b64)
    out.append(AESGCM(bytes.fromhex(key)).decrypt(blob[:12], blob[12:], None).decode('utf-8'))
sys.stdout.write(json.dumps(out))
`

t.test('GCM with a random IV: base64(12-byte IV ‖ ciphertext ‖ tag), decrypted by Python cryptography', async (t) => {
  const value = '+91 98765 43210 ✓ & "quotes" \n'
  const samples: [string, string][] = []
  for (const [algorithm, key] of [['aes-128-gcm', 'k'.repeat(16)], ['aes-192-gcm', 'k'.repeat(24)], ['aes-256-gcm', 'k'.repeat(32)]] as const) {
    const enc = createEncryptor({ algorithm, key, iv: 'random', parameters: ['x'] })
    const out = enc(value)
    t.equal(Buffer.from(out, 'base64').length, 12 + Buffer.byteLength(value) + 16, `${algorithm} length`)
    t.not(enc(value), out, `${algorithm}: a fresh IV per value`)
    samples.push([Buffer.from(key).toString('hex'), out])
  }
  const decrypted = JSON.parse(execFileSync('python3', ['-c', PY_GCM], { input: JSON.stringify(samples), encoding: 'utf8' })) as string[]
  t.same(decrypted, [value, value, value])
})

t.test('CFB output decrypts with the openssl enc command line (fixed and random IV)', async (t) => {
  for (const [algorithm, key] of [['aes-128-cfb', 'k'.repeat(16)], ['aes-192-cfb', 'k'.repeat(24)], ['aes-256-cfb', 'k'.repeat(32)]] as const) {
    const value = 'Message delivered: 42 € <ok>'
    const fixedIv = '0123456789abcdef'
    const fixed = Buffer.from(createEncryptor({ algorithm, key, iv: fixedIv, parameters: ['x'] })(value), 'base64')
    t.equal(fixed.length, Buffer.byteLength(value), `${algorithm}: a fixed IV is not prepended`)
    const openssl = (iv: Buffer, ct: Buffer) =>
      execFileSync('openssl', ['enc', '-d', `-${algorithm}`, '-K', Buffer.from(key).toString('hex'), '-iv', iv.toString('hex')], { input: ct }).toString('utf8')
    t.equal(openssl(Buffer.from(fixedIv), fixed), value, `${algorithm} fixed IV`)
    const random = Buffer.from(createEncryptor({ algorithm, key, iv: 'random', parameters: ['x'] })(value), 'base64')
    t.equal(random.length, 16 + Buffer.byteLength(value))
    t.equal(openssl(random.subarray(0, 16), random.subarray(16)), value, `${algorithm} random IV`)
  }
})

t.test('openssl enc -e produces the same CFB bytes as we do for a fixed IV', async (t) => {
  const key = 'k'.repeat(32)
  const iv = 'hex:000102030405060708090a0b0c0d0e0f'
  const ours = createEncryptor({ algorithm: 'aes-256-cfb', key, iv, parameters: ['x'] })('hello, world')
  const theirs = execFileSync('openssl', ['enc', '-e', '-aes-256-cfb', '-K', Buffer.from(key).toString('hex'), '-iv', '000102030405060708090a0b0c0d0e0f', '-a', '-A'], { input: 'hello, world' }).toString('utf8')
  t.equal(ours, theirs)
})

t.test('a non-string value is encrypted as its JSON text', async (t) => {
  const settings: EncryptionSettings = { algorithm: 'aes-256-gcm', key: 'base64:' + Buffer.alloc(32, 7).toString('base64'), iv: 'random', parameters: ['x'] }
  const enc = createEncryptor(settings)
  t.equal(decryptValue(settings, enc(0.01)), '0.01')
  t.equal(decryptValue(settings, enc({ a: [1, true] })), '{"a":[1,true]}')
  t.equal(decryptValue(settings, enc(null)), 'null')
  t.equal(decryptValue(settings, enc(false)), 'false')
})

t.test('a 16-byte fixed IV is accepted with GCM', async (t) => {
  const settings: EncryptionSettings = { algorithm: 'aes-128-gcm', key: 'k'.repeat(16), iv: 'i'.repeat(16), parameters: ['x'] }
  t.equal(decryptValue(settings, createEncryptor(settings)('v')), 'v')
})

t.test('wrong key or IV lengths are config errors that never show the key or IV', async (t) => {
  const secretKey = 'TOP-SECRET-KEY-0123456789'
  const cases: [EncryptionSettings, string][] = [
    [{ algorithm: 'aes-256-gcm', key: secretKey, iv: 'random', parameters: ['x'] }, 'CONFIG_KEY_LENGTH'],
    [{ algorithm: 'aes-128-cfb', key: 'k'.repeat(16), iv: 'SECRET-IV-12', parameters: ['x'] }, 'CONFIG_IV_LENGTH'],
    [{ algorithm: 'aes-128-gcm', key: 'k'.repeat(16), iv: 'SECRET-IV-1234', parameters: ['x'] }, 'CONFIG_IV_LENGTH'],
    [{ algorithm: 'aes-128-gcm', key: 'hex:SECRETzz', iv: 'random', parameters: ['x'] }, 'CONFIG_BAD_ENCODING'],
  ]
  for (const [settings, code] of cases) {
    let caught: unknown
    try { createEncryptor(settings) } catch (e) { caught = e }
    t.type(caught, CallbackRouterError)
    const e = caught as CallbackRouterError
    t.equal(e.code, code)
    t.notMatch(`${e.message} ${e.where} ${e.stack}`, /SECRET/, `${code}: the secret is not in the error`)
  }
})

t.test('encryptParameters replaces listed values, nested a.b too, copy-on-write', async (t) => {
  const settings: EncryptionSettings = { algorithm: 'aes-256-cfb', key: 'k'.repeat(32), iv: 'random', parameters: ['to', 'error.code', 'missing', 'parts[n]'] }
  const data = { to: '+911234', error: { code: 42, text: 'kept' }, other: { x: 1 }, 'parts[n]': 'P' }
  const vars = buildVariables({ id: 'e', account: 'a', data }, { channel: 'sms', event: 'sms-send', profileId: 'p' })
  const out = encryptParameters(vars, settings.parameters, createEncryptor(settings))
  t.equal(decryptValue(settings, lookup(out, 'to') as string), '+911234')
  t.equal(decryptValue(settings, lookup(out, 'error.code') as string), '42')
  t.equal(decryptValue(settings, lookup(out, 'parts[n]') as string), 'P', 'a literal bracket key')
  t.equal(lookup(out, 'error.text'), 'kept')
  t.equal(lookup(out, 'missing'), undefined, 'an absent parameter stays absent')
  t.equal(out.other, vars.other, 'untouched branches are shared, not copied')
  t.same(data, { to: '+911234', error: { code: 42, text: 'kept' }, other: { x: 1 }, 'parts[n]': 'P' }, 'the event data is unchanged')
  t.equal(lookup(vars, 'error.code'), 42, 'the input variables are unchanged')
})

t.test('encryptParameters returns the same object when nothing listed is present', async (t) => {
  const vars = { a: 1 }
  t.equal(encryptParameters(vars, ['b'], () => 'x'), vars)
})

t.test('encryptParameters reaches into arrays by index without touching the original array', async (t) => {
  const vars = { items: [{ id: 'a' }, { id: 'b' }] }
  const out = encryptParameters(vars, ['items[1].id'], (v) => `enc(${String(v)})`)
  t.same(out, { items: [{ id: 'a' }, { id: 'enc(b)' }] })
  t.same(vars, { items: [{ id: 'a' }, { id: 'b' }] })
})

t.test('random IVs never repeat across the IV pool\'s refills, GCM and CFB mixed, and every value decrypts', async (t) => {
  const gcm: EncryptionSettings = { algorithm: 'aes-256-gcm', key: 'base64:' + Buffer.alloc(32, 3).toString('base64'), iv: 'random', parameters: ['x'] }
  const cfb: EncryptionSettings = { algorithm: 'aes-128-cfb', key: 'base64:' + Buffer.alloc(16, 5).toString('base64'), iv: 'random', parameters: ['x'] }
  const encGcm = createEncryptor(gcm)
  const encCfb = createEncryptor(cfb)
  const ivs = new Set<string>()
  let wrong = 0
  // 3,000 values: about ten 4 KiB pools of 12- and 16-byte IVs.
  for (let i = 0; i < 3000; i++) {
    const useGcm = i % 3 !== 0
    const value = `+4477009${String(i).padStart(5, '0')}`
    const out = useGcm ? encGcm(value) : encCfb(value)
    ivs.add(Buffer.from(out, 'base64').subarray(0, useGcm ? 12 : 16).toString('hex'))
    if (decryptValue(useGcm ? gcm : cfb, out) !== value) wrong++
  }
  t.equal(ivs.size, 3000, 'every IV distinct')
  t.equal(wrong, 0, 'every value decrypts to itself')
})
