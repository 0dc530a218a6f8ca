// The outbound network policy (DESIGN "Delivery pipeline"): callbacks go to public
// addresses only, unless the settings' `network.allow` exempts an address range or a host
// name. The check lives in the connector, so it sees what undici really connects to:
// literal hosts arrive as `new URL()` parsed them (`127.1`, `2130706433`, `0x7f000001` are
// already 127.0.0.1; `[::ffff:127.0.0.1]` is ::ffff:7f00:1), names are resolved once,
// every answer is checked, and the socket is opened to the checked address: there is no
// second lookup for a rebinding DNS server to answer differently.
import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { buildConnector } from 'undici'
import { CallbackRouterError } from '../errors'
import { redact } from '../redact'

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'unspecified'
  | 'metadata'
  | 'reserved'
  | 'invalid'

interface Range {
  bytes: Uint8Array
  prefix: number
  cls: AddressClass
}

/** An address as bytes: 4 for IPv4, 16 for IPv6. */
type Bytes = Uint8Array

function parseIPv4(s: string): Bytes | null {
  const parts = s.split('.')
  if (parts.length !== 4) return null
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return null
    const n = Number(parts[i])
    if (n > 255) return null
    out[i] = n
  }
  return out
}

function parseIPv6(input: string): Bytes | null {
  let s = input
  const zone = s.indexOf('%')
  if (zone !== -1) s = s.slice(0, zone)
  const out = new Uint8Array(16)
  // A trailing dotted IPv4 (::ffff:1.2.3.4) stands for the last two groups.
  let tail: Bytes | null = null
  const lastColon = s.lastIndexOf(':')
  if (s.indexOf('.', lastColon) !== -1) {
    tail = parseIPv4(s.slice(lastColon + 1))
    if (!tail) return null
    s = `${s.slice(0, lastColon + 1)}0:0`
  }
  const halves = s.split('::')
  if (halves.length > 2) return null
  const head = halves[0] === '' ? [] : halves[0].split(':')
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : halves[1].split(':')) : []
  const groups = halves.length === 2 ? head.length + rest.length : head.length
  if (halves.length === 1 ? groups !== 8 : groups > 7) return null
  const all = [...head, ...new Array<string>(8 - groups).fill('0'), ...rest]
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(all[i])) return null
    const n = parseInt(all[i], 16)
    out[i * 2] = n >> 8
    out[i * 2 + 1] = n & 0xff
  }
  if (tail) out.set(tail, 12)
  return out
}

/** Parses an IP literal (brackets allowed around IPv6); null when it is not one. */
export function parseAddress(ip: string): Bytes | null {
  let s = ip.trim()
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1)
  const v = isIP(s.split('%')[0])
  if (v === 4) return parseIPv4(s)
  if (v === 6) return parseIPv6(s)
  return null
}

/**
 * The IPv4 address an IPv6 address stands for, where it embeds one that the network
 * would reach: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::).
 */
function embeddedIPv4(b: Bytes): Bytes | null {
  if (b.length !== 16) return null
  const zero = (from: number, to: number): boolean => b.subarray(from, to).every((x) => x === 0)
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12, 16)
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return b.slice(12, 16)
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6)
  return null
}

/** IPv4-mapped IPv6 becomes IPv4, so one rule matches both spellings. */
function canonical(b: Bytes): Bytes {
  if (b.length === 16) {
    const zero = b.subarray(0, 10).every((x) => x === 0)
    if (zero && b[10] === 0xff && b[11] === 0xff) return b.slice(12, 16)
  }
  return b
}

function inRange(b: Bytes, r: { bytes: Bytes; prefix: number }): boolean {
  if (b.length !== r.bytes.length) return false
  let bits = r.prefix
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff
    if ((b[i] & mask) !== (r.bytes[i] & mask)) return false
  }
  return true
}

function range(cidr: string, cls: AddressClass): Range {
  const [addr, prefix] = cidr.split('/')
  const bytes = parseAddress(addr)
  /* c8 ignore next */
  if (!bytes) throw new Error(`bad built-in range ${cidr}`)
  return { bytes, prefix: Number(prefix), cls }
}

// Most specific first: the first match names the class.
const RANGES: Range[] = [
  // Cloud metadata services (AWS/GCP/Azure/OpenStack, Alibaba, Azure wireserver, AWS IPv6, Oracle).
  range('169.254.169.254/32', 'metadata'),
  range('169.254.170.2/32', 'metadata'),
  range('100.100.100.200/32', 'metadata'),
  range('168.63.129.16/32', 'metadata'),
  range('192.0.0.192/32', 'metadata'),
  range('fd00:ec2::254/128', 'metadata'),
  range('0.0.0.0/8', 'unspecified'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'cgnat'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local'),
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'reserved'),
  range('192.0.2.0/24', 'reserved'),
  range('192.88.99.0/24', 'reserved'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'reserved'),
  range('198.51.100.0/24', 'reserved'),
  range('203.0.113.0/24', 'reserved'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved'),
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('::/96', 'reserved'),
  range('64:ff9b:1::/48', 'private'),
  range('100::/64', 'reserved'),
  range('2001::/32', 'reserved'),
  range('2001:db8::/32', 'reserved'),
  range('fc00::/7', 'private'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'private'),
  range('ff00::/8', 'multicast'),
]

function classifyBytes(b: Bytes): AddressClass {
  const c = canonical(b)
  for (const r of RANGES) if (inRange(c, r)) return r.cls
  const v4 = embeddedIPv4(c)
  if (v4) return classifyBytes(v4)
  return 'public'
}

/** What kind of address `ip` is: 'public' is the only class allowed without the allow-list. */
export function classifyAddress(ip: string): AddressClass {
  const b = parseAddress(ip)
  return b ? classifyBytes(b) : 'invalid'
}

export interface CompiledAllowList {
  ranges: { bytes: Bytes; prefix: number }[]
  /** Lower-case host names; an entry `*.example.com` is kept as the suffix `.example.com`. */
  names: Set<string>
  suffixes: string[]
}

/**
 * Compiles `network.allow`: CIDRs (`10.0.0.0/8`, `::1/128`), single addresses, or host names
 * (`hooks.internal`, or `*.internal` for any name below it). Throws on a malformed CIDR.
 */
export function compileAllowList(allow: readonly string[] = []): CompiledAllowList {
  const out: CompiledAllowList = { ranges: [], names: new Set(), suffixes: [] }
  for (const raw of allow) {
    const entry = raw.trim().toLowerCase()
    const slash = entry.indexOf('/')
    const addr = slash === -1 ? entry : entry.slice(0, slash)
    const bytes = parseAddress(addr)
    if (bytes) {
      const max = bytes.length * 8
      const prefix = slash === -1 ? max : Number(entry.slice(slash + 1))
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`network.allow: bad prefix in "${raw}"`)
      // ::ffff:10.0.0.0/104 is the IPv4 range 10.0.0.0/8.
      const c = canonical(bytes)
      out.ranges.push(c.length === bytes.length ? { bytes, prefix } : { bytes: c, prefix: Math.max(0, prefix - 96) })
    } else if (slash !== -1) {
      throw new Error(`network.allow: "${raw}" is not a CIDR`)
    } else if (entry.startsWith('*.')) {
      out.suffixes.push(entry.slice(1))
    } else if (entry !== '') {
      out.names.add(entry.replace(/\.$/, ''))
    }
  }
  return out
}

/** True when the host name itself is allow-listed (then any address it resolves to is allowed). */
export function isHostAllowed(hostname: string, allow: CompiledAllowList): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '')
  if (allow.names.has(h)) return true
  for (const s of allow.suffixes) if (h.endsWith(s)) return true
  return false
}

/**
 * The policy's decision for one address: public addresses pass; loopback, private,
 * link-local, CGNAT, multicast, unspecified, reserved and metadata addresses pass only when
 * an allow-list range holds them or `hostname` is an allow-listed name. IPv4-mapped IPv6
 * is judged as the IPv4 address it maps.
 */
export function isAddressAllowed(ip: string, allow: CompiledAllowList, hostname?: string): boolean {
  const b = parseAddress(ip)
  if (!b) return false
  if (classifyBytes(b) === 'public') return true
  if (hostname !== undefined && isHostAllowed(hostname, allow)) return true
  const c = canonical(b)
  for (const r of allow.ranges) if (inRange(c, r)) return true
  return false
}

export interface ResolvedAddress {
  address: string
  family: number
}

/** Resolves a host name to every address; injectable for tests of rebinding. */
export type LookupFn = (hostname: string) => Promise<ResolvedAddress[]>

export const systemLookup: LookupFn = (hostname) => dnsLookup(hostname, { all: true, verbatim: true })

/**
 * The refusal: a CallbackRouterError `address_refused` (not retried), whose `where` names
 * what was refused for the dead letter. A host that came from `${env:…}` is written as its
 * reference there too: operators need the host, never the secret.
 */
export function refusal(hostname: string, address?: string): CallbackRouterError {
  const what = address !== undefined && address !== hostname ? `${hostname} (${address})` : hostname
  return new CallbackRouterError('address_refused', [what], redact(what))
}

/**
 * Resolves and checks a host: every address must be allowed, else `address_refused`.
 * Returns the checked addresses, in the resolver's order.
 */
export async function resolveChecked(hostname: string, allow: CompiledAllowList, lookup: LookupFn = systemLookup): Promise<ResolvedAddress[]> {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  const family = isIP(host)
  if (family !== 0) {
    if (!isAddressAllowed(host, allow)) throw refusal(host)
    return [{ address: host, family }]
  }
  const answers = await lookup(host)
  if (answers.length === 0) {
    const err = new Error(`getaddrinfo ENOTFOUND ${host}`) as NodeJS.ErrnoException
    err.code = 'ENOTFOUND'
    throw err
  }
  for (const a of answers) if (!isAddressAllowed(a.address, allow, host)) throw refusal(host, a.address)
  return answers
}

export interface PolicyConnectorOptions {
  allow: readonly string[]
  lookup?: LookupFn
  /** TCP/TLS connect timeout (the attempt's AbortSignal is the real limit); default 10 s. */
  connectTimeoutMs?: number
}

/**
 * An undici connector enforcing the policy. The socket is opened to the checked address
 * while `host` (Host header, TLS SNI and certificate check) stays the name from the URL.
 */
export function createPolicyConnector(options: PolicyConnectorOptions): buildConnector.connector {
  const allow = compileAllowList(options.allow)
  const lookup = options.lookup ?? systemLookup
  const base = buildConnector({ timeout: options.connectTimeoutMs ?? 10_000 })
  return (opts, callback) => {
    resolveChecked(opts.hostname, allow, lookup).then(
      (answers) => {
        base({ ...opts, hostname: answers[0].address }, callback)
      },
      (err: Error) => callback(err, null),
    )
  }
}
