// Render checks of the conformance kit: the sample event through real profiles, in every
// format (json, urlencoded, form, query and the plugin's own) and with every encryption
// algorithm, through the same checks and compiler the daemon uses.
import type { Profile } from '../generated/profile'
import type { PluginRegistry } from '../plugin/registry'
import { checkProfile } from '../config/profile-check'
import { compileProfile, type OutgoingRequest } from '../render/compile'
import { decryptValue, plaintextOf, type EncryptionSettings } from '../render/encrypt'
import { lookup, type Variables } from '../render/variables'
import { sampleEnvelope, type EventUnderCheck } from './event-checks'
import type { Rows } from './report'

const ENDPOINT = 'http://127.0.0.1:9/conformance'
const ALGORITHMS: ReadonlyArray<EncryptionSettings['algorithm']> = ['aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm', 'aes-128-cfb', 'aes-192-cfb', 'aes-256-cfb']

interface Variant {
  label: string
  fields: Partial<Profile>
  /** Checks the rendered request; returns what is wrong, or undefined. */
  verify(req: OutgoingRequest): string | undefined
}

function fieldsOf(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, `<${n}>`]))
}

function variants(registry: PluginRegistry, names: readonly string[]): Variant[] {
  const body = fieldsOf(names)
  const hasBody = (req: OutgoingRequest) => (req.body instanceof Uint8Array ? undefined : 'no body bytes')
  const query = names.map((n, i) => `v${i}=<${n}>`).join('&')
  const out: Variant[] = [
    { label: 'json body of every variable', fields: { format: 'json', body }, verify: (r) => parsesAsJson(r) },
    { label: 'json default body (data and _event)', fields: { format: 'json' }, verify: (r) => parsesAsJson(r) },
    { label: 'urlencoded body of every variable', fields: { format: 'urlencoded', body }, verify: hasBody },
    { label: 'urlencoded default body (every variable flat)', fields: { format: 'urlencoded' }, verify: hasBody },
    { label: 'form (multipart) body of every variable', fields: { format: 'form', body }, verify: hasBody },
    {
      label: 'query string (GET) of every variable',
      fields: { method: 'GET', endpoint: `${ENDPOINT}${query ? `?${query}` : ''}` },
      verify: (r) => {
        const params = new URL(r.url).searchParams
        const missing = names.filter((_, i) => !params.has(`v${i}`))
        return missing.length ? `the URL lost ${missing.join(', ')}` : undefined
      },
    },
  ]
  for (const format of registry.pluginFormatters().keys()) {
    out.push({
      label: `${format} body of every variable (the plugin's formatter)`,
      fields: { format, body },
      verify: (r) => hasBody(r) ?? (r.headers['content-type'] ? undefined : 'the formatter gave no content type'),
    })
  }
  return out
}

function parsesAsJson(req: OutgoingRequest): string | undefined {
  try {
    JSON.parse(Buffer.from(req.body ?? new Uint8Array()).toString('utf8'))
    return undefined
  } catch (e) {
    return `the body is not JSON: ${(e as Error).message}`
  }
}

function baseProfile(ev: EventUnderCheck): Profile {
  const p: Profile = { id: 'conformance', title: 'Conformance check', account: 'conformance', channel: ev.plugin.name, endpoint: ENDPOINT }
  if (!ev.plugin.catchAll) p.events = [ev.key]
  return p
}

/** Checks the profile like `validate`, compiles and renders it; returns the request or fails a row. */
function renderWith(rows: Rows, registry: PluginRegistry, ev: EventUnderCheck, profile: Profile, data: Record<string, unknown>, check: 'render' | 'encryption', label: string): OutgoingRequest | undefined {
  const checked = checkProfile(profile, 'conformance', registry, { env: {} })
  const errors = checked.diagnostics.filter((d) => d.level === 'error')
  if (errors.length || !checked.profile) {
    rows.fail(check, ev.at, `${label}: a profile using the catalog is refused: ${errors.map((d) => `${d.pointer}: ${d.message}`).join('; ')}`)
    return undefined
  }
  let req: OutgoingRequest | undefined
  rows.run(check, ev.at, () => {
    const compiled = compileProfile(checked.profile!, registry)
    req = compiled.render(sampleEnvelope(structuredClone(data)), { event: ev.event, channel: ev.plugin.name, timestamp: 1_800_000_000 })
  }, label)
  return req
}

export function checkRenders(rows: Rows, registry: PluginRegistry, ev: EventUnderCheck, data: Record<string, unknown>, names: readonly string[]): void {
  for (const v of variants(registry, names)) {
    const profile = { ...baseProfile(ev), ...v.fields }
    const req = renderWith(rows, registry, ev, profile, data, 'render', v.label)
    if (!req) continue
    const problem = v.verify(req)
    if (problem) rows.fail('render', ev.at, `${v.label}: ${problem}`)
    else rows.pass('render', ev.at, v.label)
  }
}

/**
 * Every leaf variable encrypted with each algorithm (random IV), rendered in a json body,
 * then decrypted again: the receiver's view must give back the plaintext.
 */
export function checkEncryption(rows: Rows, registry: PluginRegistry, ev: EventUnderCheck, data: Record<string, unknown>, vars: Variables, names: readonly string[]): void {
  // A parent (`error`) and its child (`error.code`) cannot both be encrypted: the child is read from the parent.
  const leaves = names.filter((n) => !names.some((o) => o !== n && (o.startsWith(`${n}.`) || o.startsWith(`${n}[`))))
  if (leaves.length === 0) return rows.pass('encryption', ev.at, 'no variables to encrypt')
  for (const algorithm of ALGORITHMS) {
    const encryption: EncryptionSettings = { algorithm, key: 'k'.repeat(Number(algorithm.split('-')[1]) / 8), iv: 'random', parameters: leaves as [string, ...string[]] }
    const label = `${algorithm}, random IV, ${leaves.length} parameters`
    const req = renderWith(rows, registry, ev, { ...baseProfile(ev), format: 'json', body: fieldsOf(leaves), encryption }, data, 'encryption', label)
    if (!req) continue
    const body = JSON.parse(Buffer.from(req.body ?? new Uint8Array()).toString('utf8')) as Record<string, unknown>
    const wrong = leaves.filter((n) => {
      try {
        return decryptValue(encryption, String(body[n])) !== plaintextOf(lookup(vars, n))
      } catch {
        return true
      }
    })
    if (wrong.length) rows.fail('encryption', ev.at, `${label}: ${wrong.join(', ')} did not decrypt to the plaintext`)
    else rows.pass('encryption', ev.at, label)
  }
}
