import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { createDeliverer } from '../core/delivery/deliver'
import { createDispatcher } from '../core/delivery/dispatcher'
import type { CallbackEvent } from '../core/generated/event'
import type { Profile } from '../core/generated/profile'
import { USER_AGENT } from '../core/delivery/http-attempt'
import { PluginRegistry } from '../core/plugin/registry'
import { compileProfile } from '../core/render/compile'
import { builtins } from '../plugins/index'
import { startEndpoint, type Endpoint } from './helpers/endpoint'
import { favourThisTest } from './helpers/priority'

const registry = new PluginRegistry(builtins)
const dispatcher = createDispatcher({ allow: ['127.0.0.1'] })
t.teardown(() => dispatcher.close())

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`
const event: CallbackEvent = { id: 'evt_1', account: 'acme', data: { status: 'delivered', note: 'hello' } }
const ctx = { event: 'order_status', channel: 'default' }

function profile(ep: Endpoint, more: Partial<Profile> = {}): Profile {
  return { id: 'acme-hooks', title: 'ACME hooks', account: 'acme', channel: 'default', endpoint: `${ep.url}/hook`, ...more }
}

function compiled(p: Profile) {
  return compileProfile(p, registry, { defaultTimeoutMs: 2000 })
}

async function endpoint(t: { teardown(fn: () => unknown): void }, options: Parameters<typeof startEndpoint>[0] = {}): Promise<Endpoint> {
  const ep = await startEndpoint(options)
  t.teardown(() => ep.close())
  return ep
}

const deliverer = () => createDeliverer({ dispatcher, maxResponseBytes: 1024, defaultRateLimit: { perSecond: 1000, maxConcurrent: 50 } })

t.test('a 2xx answer is delivered: signed body, webhook headers and the User-Agent arrive', async (t) => {
  const ep = await endpoint(t)
  const d = deliverer()
  const r = await d.attempt(compiled(profile(ep, { signing: { secret: SECRET } })), event, ctx)
  t.equal(r.outcome, 'delivered')
  t.equal(r.ok, true)
  t.equal(r.status, 200)
  t.equal(r.request?.url, `${ep.url}/hook`)
  const [req] = ep.requests
  t.equal(req.headers['user-agent'], USER_AGENT)
  t.equal(req.headers['webhook-id'], 'evt_1:acme-hooks')
  const payload = new Webhook(SECRET).verify(req.body.toString(), {
    'webhook-id': String(req.headers['webhook-id']),
    'webhook-timestamp': String(req.headers['webhook-timestamp']),
    'webhook-signature': String(req.headers['webhook-signature']),
  }) as Record<string, unknown>
  t.equal(payload.status, 'delivered')
})

t.test('a non-2xx answer fails the attempt with its status and Retry-After', async (t) => {
  const ep = await endpoint(t, { behaviour: { status: 429, headers: { 'retry-after': '30' } } })
  const r = await deliverer().attempt(compiled(profile(ep)), event, ctx)
  t.equal(r.outcome, 'failed')
  t.equal(r.error, 'status 429')
  t.equal(r.retryAfter, '30')
})

t.test('an endpoint the network policy refuses is refused, not failed', async (t) => {
  const ep = await endpoint(t, { host: '127.0.0.2' })
  const r = await deliverer().attempt(compiled(profile(ep)), event, ctx)
  t.equal(r.outcome, 'refused')
  t.equal(r.refused, true)
  t.equal(r.error, 'address_refused')
  t.equal(ep.connections, 0)
})

t.test('a header rendered with a control character fails the delivery at once (render_failed)', async (t) => {
  const ep = await endpoint(t)
  const p = profile(ep, { headers: { 'X-Note': '<note>' } })
  const r = await deliverer().attempt(compiled(p), { ...event, data: { note: 'a\r\nInjected: yes' } }, ctx)
  t.equal(r.outcome, 'render_failed')
  t.match(r.error, /^render_failed/)
  t.equal(r.request, undefined)
  t.equal(ep.requests.length, 0)
})

t.test('basic auth adds the Authorization header', async (t) => {
  const ep = await endpoint(t)
  const r = await deliverer().attempt(compiled(profile(ep, { auth: { type: 'basic', username: 'u', password: 'p' } })), event, ctx)
  t.equal(r.outcome, 'delivered')
  t.equal(ep.requests[0].headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`)
})

t.test('oauth2: the token is fetched once, reused, and refreshed once on a 401 within the attempt', async (t) => {
  const tokens = await endpoint(t, { behaviour: (req) => ({ body: JSON.stringify({ access_token: `tok${req.index + 1}`, expires_in: '3599' }) }) })
  const ep = await endpoint(t)
  const p = profile(ep, { auth: { type: 'oauth2', tokenUrl: `${tokens.url}/token`, clientId: 'c1', clientSecret: 's1' } })
  const d = deliverer()
  t.equal((await d.attempt(compiled(p), event, ctx)).outcome, 'delivered')
  t.equal((await d.attempt(compiled(p), event, ctx)).outcome, 'delivered')
  t.equal(tokens.requests.length, 1, 'one token for two deliveries')
  t.same(ep.requests.map((r) => r.headers.authorization), ['Bearer tok1', 'Bearer tok1'])

  // The receiver revokes tok1: the next attempt gets a 401, refreshes, resends.
  ep.setBehaviour((req) => (req.headers.authorization === 'Bearer tok1' ? { status: 401 } : {}))
  const r = await d.attempt(compiled(p), event, ctx)
  t.equal(r.outcome, 'delivered')
  t.equal(r.request?.headers.authorization, 'Bearer tok2')
  t.equal(tokens.requests.length, 2)
  t.same(ep.requests.slice(2).map((x) => x.headers.authorization), ['Bearer tok1', 'Bearer tok2'])
})

t.test('oauth2: a receiver that keeps answering 401 gets exactly one refresh and resend', async (t) => {
  const tokens = await endpoint(t, { behaviour: (req) => ({ body: JSON.stringify({ access_token: `t${req.index}`, expires_in: 3600 }) }) })
  const ep = await endpoint(t, { behaviour: { status: 401 } })
  const p = profile(ep, { auth: { type: 'oauth2', tokenUrl: `${tokens.url}/token`, clientId: 'c2', clientSecret: 's2' } })
  const r = await deliverer().attempt(compiled(p), event, ctx)
  t.equal(r.outcome, 'failed')
  t.equal(r.error, 'status 401')
  t.equal(ep.requests.length, 2)
  t.equal(tokens.requests.length, 2)
})

t.test('basic auth does not resend on 401', async (t) => {
  const ep = await endpoint(t, { behaviour: { status: 401 } })
  const r = await deliverer().attempt(compiled(profile(ep, { auth: { type: 'basic', username: 'u', password: 'p' } })), event, ctx)
  t.equal(r.error, 'status 401')
  t.equal(ep.requests.length, 1)
})

t.test('a failed token request fails the attempt without calling the receiver', async (t) => {
  const tokens = await endpoint(t, { behaviour: { status: 500 } })
  const ep = await endpoint(t)
  const p = profile(ep, { auth: { type: 'oauth2', tokenUrl: `${tokens.url}/token`, clientId: 'c3', clientSecret: 's3' } })
  const r = await deliverer().attempt(compiled(p), event, ctx)
  t.equal(r.outcome, 'failed')
  t.equal(r.error, 'token status 500')
  t.equal(ep.requests.length, 0)
})

t.test('one timeout budget covers the token request and the delivery', async (t) => {
  const tokens = await endpoint(t, { behaviour: { delayMs: 200, body: JSON.stringify({ access_token: 'slow', expires_in: 60 }) } })
  const ep = await endpoint(t, { behaviour: { delayMs: 200 } })
  const p = profile(ep, { retry: { timeoutMs: 300 }, auth: { type: 'oauth2', tokenUrl: `${tokens.url}/token`, clientId: 'c4', clientSecret: 's4' } })
  const r = await deliverer().attempt(compiled(p), event, ctx)
  t.equal(r.outcome, 'failed')
  t.equal(r.error, 'timeout', 'each step fits 300 ms alone, both together do not')
  t.ok(r.latencyMs >= 290)
})

t.test('the profile rate limit holds across attempts, and waiting attempts call onWait', async (t) => {
  // The receiver's clock is this process's event loop: at raised priority a busy machine
  // delays it less (see helpers/priority.ts; at load 13 starts 4 apart read 986 ms).
  favourThisTest()
  const ep = await endpoint(t, { behaviour: { delayMs: 20 } })
  // Warm the in-process server and both sockets (maxConcurrent 2) so a cold connection does
  // not skew arrival times.
  await Promise.all([0, 1].map(() => deliverer().attempt(compiled(profile(ep)), event, ctx)))
  ep.reset()
  const p = compiled(profile(ep, { rateLimit: { perSecond: 4, maxConcurrent: 2 } }))
  const d = deliverer()
  let waits = 0
  const results = await Promise.all(Array.from({ length: 9 }, () => d.attempt(p, event, ctx, { onWait: () => waits++ })))
  t.ok(results.every((r) => r.outcome === 'delivered'))
  const starts = ep.requests.map((r) => r.startedAt).sort((a, b) => a - b)
  for (let i = 0; i + 4 < starts.length; i++) t.ok(starts[i + 4] - starts[i] >= 1000, `starts ${i} and ${i + 4} are a second apart (${(starts[i + 4] - starts[i]).toFixed(1)} ms)`)
  t.ok(ep.maxInFlight <= 2, `at most 2 in flight (saw ${ep.maxInFlight})`)
  t.ok(waits >= 5, 'attempts beyond the first burst waited and said so')
})

t.test('a profile keeps its limiter until its rateLimit changes; defaults apply without one', async (t) => {
  const ep = await endpoint(t)
  const d = deliverer()
  await d.attempt(compiled(profile(ep)), event, ctx)
  const first = d.limiterOf('acme-hooks')
  t.same(first?.limits, { perSecond: 1000, maxConcurrent: 50 })
  await d.attempt(compiled(profile(ep)), event, ctx)
  t.equal(d.limiterOf('acme-hooks'), first, 'same limits, same limiter')
  await d.attempt(compiled(profile(ep, { rateLimit: { perSecond: 7, maxConcurrent: 3 } })), event, ctx)
  t.not(d.limiterOf('acme-hooks'), first)
  t.same(d.limiterOf('acme-hooks')?.limits, { perSecond: 7, maxConcurrent: 3 })
  d.forget('acme-hooks')
  t.equal(d.limiterOf('acme-hooks'), undefined)
})
