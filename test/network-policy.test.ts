import t from 'tap'
import { CallbackRouterError } from '../core/errors'
import { createDispatcher } from '../core/delivery/dispatcher'
import { sendAttempt } from '../core/delivery/http-attempt'
import { classifyAddress, compileAllowList, isAddressAllowed, resolveChecked, type LookupFn } from '../core/delivery/network-policy'
import { startEndpoint } from './helpers/endpoint'

// Decision-function tests only: nothing here connects to these addresses.
t.test('classifyAddress names the class of every refused range and passes public addresses', async (t) => {
  const cases: [string, string][] = [
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['not-an-address', 'invalid'],
  ]
  for (const [ip, cls] of cases) t.equal(classifyAddress(ip), cls, ip)
})

t.test('IPv6 forms that embed an IPv4 address are judged as that address', async (t) => {
  t.equal(classifyAddress('::ffff:127.0.0.1'), 'loopback')
  t.equal(classifyAddress('::ffff:7f00:1'), 'loopback')
  t.equal(classifyAddress('::ffff:169.254.169.254'), 'metadata')
  t.equal(classifyAddress('::ffff:10.0.0.1'), 'private')
  t.equal(classifyAddress('::ffff:8.8.8.8'), 'public')
  t.equal(classifyAddress('64:ff9b::a00:1'), 'private', 'NAT64 of 10.0.0.1')
  t.equal(classifyAddress('2002:7f00:1::1'), 'loopback', '6to4 of 127.0.0.1')
  t.equal(classifyAddress('2002:808:808::1'), 'public', '6to4 of 8.8.8.8')
})

t.test('literal host forms are judged as new URL() parses them', async (t) => {
  for (const host of ['127.1', '2130706433', '0x7f000001', '0177.0.0.1', '[::ffff:127.0.0.1]', '[::1]', '[0:0:0:0:0:0:0:1]']) {
    const parsed = new URL(`http://${host}:8080/x`).hostname
    t.equal(classifyAddress(parsed), 'loopback', `${host} -> ${parsed}`)
    t.notOk(isAddressAllowed(parsed, compileAllowList([])), `${host} refused without an allow-list`)
  }
  t.equal(classifyAddress(new URL('http://0xa9fea9fe/').hostname), 'metadata', '0xa9fea9fe is 169.254.169.254')
})

t.test('the allow-list exempts CIDRs, single addresses and host names', async (t) => {
  const allow = compileAllowList(['10.0.0.0/8', '192.168.1.5', 'fd00::/8', 'hooks.internal', '*.corp.example'])
  t.ok(isAddressAllowed('10.200.0.1', allow))
  t.notOk(isAddressAllowed('11.0.0.1', allow) === false, '11.0.0.1 is public anyway')
  t.ok(isAddressAllowed('192.168.1.5', allow))
  t.notOk(isAddressAllowed('192.168.1.6', allow))
  t.ok(isAddressAllowed('fd00::1', allow))
  t.notOk(isAddressAllowed('fe80::1', allow))
  t.ok(isAddressAllowed('::ffff:10.1.1.1', allow), 'an IPv4-mapped address matches the IPv4 CIDR')
  t.ok(isAddressAllowed('172.16.0.1', allow, 'hooks.internal'), 'an allow-listed name may resolve to a private address')
  t.ok(isAddressAllowed('172.16.0.1', allow, 'HOOKS.internal.'), 'names compare case-insensitively, trailing dot ignored')
  t.ok(isAddressAllowed('172.16.0.1', allow, 'a.b.corp.example'))
  t.notOk(isAddressAllowed('172.16.0.1', allow, 'corp.example.evil'))
  t.notOk(isAddressAllowed('172.16.0.1', allow, 'other.internal'))
  t.notOk(isAddressAllowed('169.254.169.254', allow), 'metadata stays refused unless listed')
  t.ok(isAddressAllowed('169.254.169.254', compileAllowList(['169.254.169.254/32'])))
  t.ok(isAddressAllowed('10.9.9.9', compileAllowList(['::ffff:10.0.0.0/104'])), 'a mapped CIDR means the IPv4 range')
  t.ok(isAddressAllowed('127.0.0.1', compileAllowList(['127.0.0.0/8', '::1'])))
  t.ok(isAddressAllowed('::1', compileAllowList(['127.0.0.0/8', '::1'])))
})

t.test('a malformed allow-list entry is an error', async (t) => {
  t.throws(() => compileAllowList(['10.0.0.0/33']), /bad prefix/)
  t.throws(() => compileAllowList(['hooks.internal/8']), /not a CIDR/)
})

t.test('a name is refused when any of its addresses is refused', async (t) => {
  const lookup: LookupFn = async () => [
    { address: '93.184.216.34', family: 4 },
    { address: '10.0.0.7', family: 4 },
  ]
  const err = await resolveChecked('mixed.example', compileAllowList([]), lookup).catch((e: unknown) => e)
  t.type(err, CallbackRouterError)
  t.equal((err as CallbackRouterError).code, 'address_refused')
  const ok = await resolveChecked('public.example', compileAllowList([]), async () => [{ address: '93.184.216.34', family: 4 }])
  t.same(ok, [{ address: '93.184.216.34', family: 4 }])
  const empty = await resolveChecked('none.example', compileAllowList([]), async () => []).catch((e: { code?: string }) => e.code)
  t.equal(empty, 'ENOTFOUND')
})

// Real refusals: a listening loopback endpoint that is not allow-listed must see nothing.
const LIMITS = { timeoutMs: 2000, maxResponseBytes: 1024 }

t.test('literal loopback forms are refused by the connector without reaching the endpoint', async (t) => {
  const ep = await startEndpoint()
  const dispatcher = createDispatcher({ allow: [] })
  t.teardown(async () => {
    await dispatcher.close()
    await ep.close()
  })
  for (const host of ['127.0.0.1', '127.1', '2130706433', '0x7f000001', '[::ffff:127.0.0.1]']) {
    const r = await sendAttempt({ method: 'POST', url: `http://${host}:${ep.port}/hook`, headers: {} }, { dispatcher, ...LIMITS })
    t.equal(r.error, 'address_refused', host)
    t.equal(r.refused, true, host)
    t.equal(r.status, null)
  }
  t.equal(ep.requests.length, 0)
  t.equal(ep.connections, 0)
})

t.test('a name resolving to a refused address is refused (system resolver, localhost)', async (t) => {
  const ep = await startEndpoint()
  const dispatcher = createDispatcher({ allow: [] })
  t.teardown(async () => {
    await dispatcher.close()
    await ep.close()
  })
  const r = await sendAttempt({ method: 'GET', url: `http://localhost:${ep.port}/`, headers: {} }, { dispatcher, ...LIMITS })
  t.equal(r.error, 'address_refused')
  t.equal(ep.connections, 0)
})

t.test('only the allow-listed loopback address is reachable', async (t) => {
  const a = await startEndpoint({ host: '127.0.0.1' })
  const b = await startEndpoint({ host: '127.0.0.2', port: a.port })
  const dispatcher = createDispatcher({ allow: ['127.0.0.1/32'] })
  t.teardown(async () => {
    await dispatcher.close()
    await a.close()
    await b.close()
  })
  const ok = await sendAttempt({ method: 'GET', url: `${a.url}/x`, headers: {} }, { dispatcher, ...LIMITS })
  t.equal(ok.ok, true)
  const refused = await sendAttempt({ method: 'GET', url: `${b.url}/x`, headers: {} }, { dispatcher, ...LIMITS })
  t.equal(refused.error, 'address_refused')
  t.equal(a.requests.length, 1)
  t.equal(b.connections, 0)
})

t.test('DNS answers that change between check and connect cannot redirect the connection', async (t) => {
  const allowed = await startEndpoint({ host: '127.0.0.1' })
  const target = await startEndpoint({ host: '127.0.0.2', port: allowed.port })
  let lookups = 0
  // A rebinding resolver: an allowed answer first, a refused one on every later question.
  const lookup: LookupFn = async () => (lookups++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '127.0.0.2', family: 4 }])
  const dispatcher = createDispatcher({ allow: ['127.0.0.1'] }, { lookup })
  t.teardown(async () => {
    await allowed.close()
    await target.close()
  })
  const r = await sendAttempt({ method: 'GET', url: `http://rebind.test:${allowed.port}/x`, headers: {} }, { dispatcher, ...LIMITS })
  t.equal(r.ok, true)
  t.equal(lookups, 1, 'one lookup per connection: the connect uses the checked address')
  t.equal(allowed.requests.length, 1)
  t.equal(allowed.requests[0].headers.host, `rebind.test:${allowed.port}`, 'the Host header keeps the name')
  t.equal(target.connections, 0, 'the refused address was never connected to')
  // A new connection asks again and gets the refused answer: refused, not connected.
  await dispatcher.close()
  const d2 = createDispatcher({ allow: ['127.0.0.1'] }, { lookup })
  t.teardown(() => d2.close())
  const again = await sendAttempt({ method: 'GET', url: `http://rebind.test:${allowed.port}/x`, headers: {} }, { dispatcher: d2, ...LIMITS })
  t.equal(again.error, 'address_refused')
  t.equal(target.connections, 0)
})
