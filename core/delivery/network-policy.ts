// The outbound network policy (DESIGN "Delivery pipeline"): callbacks go to public
// addresses only, unless the settings' `network.allow` exempts an address range or a host
// name. The check lives in the connector, so it sees what undici really connects to:
// literal hosts arrive as `new URL()` parsed them (`127.1`, `2130706433`, `0x7f000001` are
// already 127.0.0.1; `[::ffff:127.0.0.1]` is ::ffff:7f00:1), names are resolved once,
// every answer is checked, and the socket is opened to the checked address: there is no
// second lookup for a rebinding DNS server to answer differently. Addresses and ranges are
// parsed and matched by ipaddr.js; the table of refused ranges and their classes is ours.
import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'
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

/** An address as ipaddr.js parsed it. */
type Address = ipaddr.IPv4 | ipaddr.IPv6
/** An address range: its base address and prefix length. */
type Cidr = [Address, number]

/**
 * Parses an IP literal (brackets allowed around IPv6, a zone ignored); null when it is not
 * one. node's isIP is the gate: ipaddr.js would also read legacy IPv4 forms (`127.1`,
 * `0x7f000001`), which only `new URL()` may interpret (it has, before the connector sees them).
 */
export function parseAddress(ip: string): Address | null {
  let s = ip.trim()
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1)
  s = s.split('%')[0]
  if (isIP(s) === 0) return null
  try {
    return ipaddr.parse(s)
  } catch {
    /* c8 ignore next */
    return null
  }
}

/** IPv4-mapped IPv6 becomes IPv4, so one rule matches both spellings. */
function canonical(a: Address): Address {
  return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a
}

/**
 * The IPv4 address an IPv6 address stands for, where it embeds one that the network
 * would reach: NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::); IPv4-mapped is
 * handled by `canonical`.
 */
function embeddedIPv4(a: Address): ipaddr.IPv4 | null {
  if (a.kind() !== 'ipv6') return null
  const bytes = a.toByteArray()
  if (a.match(NAT64)) return new ipaddr.IPv4(bytes.slice(12, 16))
  if (a.match(SIX_TO_FOUR)) return new ipaddr.IPv4(bytes.slice(2, 6))
  return null
}

function inRange(a: Address, [base, prefix]: Cidr): boolean {
  return a.kind() === base.kind() && a.match(base, prefix)
}

const NAT64 = ipaddr.parseCIDR('64:ff9b::/96')
const SIX_TO_FOUR = ipaddr.parseCIDR('2002::/16')

function range(cidr: string, cls: AddressClass): { cidr: Cidr; cls: AddressClass } {
  return { cidr: ipaddr.parseCIDR(cidr), cls }
}

// Most specific first: the first match names the class.
const RANGES: { cidr: Cidr; cls: AddressClass }[] = [
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

function classify(a: Address): AddressClass {
  const c = canonical(a)
  for (const r of RANGES) if (inRange(c, r.cidr)) return r.cls
  const v4 = embeddedIPv4(c)
  if (v4) return classify(v4)
  return 'public'
}

/** What kind of address `ip` is: 'public' is the only class allowed without the allow-list. */
export function classifyAddress(ip: string): AddressClass {
  const a = parseAddress(ip)
  return a ? classify(a) : 'invalid'
}

export interface CompiledAllowList {
  ranges: Cidr[]
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
    const address = parseAddress(addr)
    if (address) {
      const max = address.kind() === 'ipv4' ? 32 : 128
      const prefix = slash === -1 ? max : Number(entry.slice(slash + 1))
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`network.allow: bad prefix in "${raw}"`)
      // ::ffff:10.0.0.0/104 is the IPv4 range 10.0.0.0/8.
      const c = canonical(address)
      out.ranges.push(c === address ? [address, prefix] : [c, Math.max(0, prefix - 96)])
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
  const a = parseAddress(ip)
  if (!a) return false
  if (classify(a) === 'public') return true
  if (hostname !== undefined && isHostAllowed(hostname, allow)) return true
  const c = canonical(a)
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
