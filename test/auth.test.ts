import t from 'tap'
import { AuthError, createAuthorizer, parseExpiresIn, type TokenCache } from '../core/delivery/auth'
import { createDispatcher } from '../core/delivery/dispatcher'
import type { Oauth2Auth } from '../core/generated/profile'
import { startEndpoint, type Endpoint, type RecordedRequest } from './helpers/endpoint'

const dispatcher = createDispatcher({ allow: ['127.0.0.1'] })
t.teardown(() => dispatcher.close())

/** A real token endpoint answering tok1, tok2, … with the given extra fields. */
async function tokenEndpoint(t: { teardown(fn: () => unknown): void }, extra: (req: RecordedRequest) => Record<string, unknown> = () => ({ expires_in: '3599' })): Promise<Endpoint> {
  const ep = await startEndpoint({
    behaviour: (req) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token_type: 'Bearer', access_token: `tok${req.index + 1}`, ...extra(req) }) }),
  })
  t.teardown(() => ep.close())
  return ep
}

function oauth(ep: Endpoint, more: Partial<Oauth2Auth> = {}): Oauth2Auth {
  return { type: 'oauth2', tokenUrl: `${ep.url}/token`, clientId: 'router', clientSecret: 's3cr&t', ...more }
}

const budget = (): AbortSignal => AbortSignal.timeout(2000)

t.test('basic auth sends Basic base64(username:password)', async (t) => {
  const a = createAuthorizer({ type: 'basic', username: 'acme', password: 'pa:ss' }, { dispatcher })
  t.same(await a?.authorize(budget()), { authorization: `Basic ${Buffer.from('acme:pa:ss').toString('base64')}` })
})

t.test('no auth, no authorizer', async (t) => {
  t.equal(createAuthorizer(undefined, { dispatcher }), undefined)
})

t.test('oauth2 posts a form-encoded client-credentials request and caches the token', async (t) => {
  const ep = await tokenEndpoint(t)
  const a = createAuthorizer(oauth(ep, { scope: 'callbacks.write', headers: { 'X-Tenant': 'acme' } }), { dispatcher, cache: new Map() })
  t.same(await a?.authorize(budget()), { authorization: 'Bearer tok1' })
  t.same(await a?.authorize(budget()), { authorization: 'Bearer tok1' }, 'cached')
  t.equal(ep.requests.length, 1, 'one token request for two authorizations')
  const [req] = ep.requests
  t.equal(req.method, 'POST')
  t.equal(req.pathname, '/token')
  t.equal(req.headers['content-type'], 'application/x-www-form-urlencoded')
  t.equal(req.headers['x-tenant'], 'acme')
  t.equal(req.headers.authorization, undefined)
  const form = new URLSearchParams(req.body.toString())
  t.same(Object.fromEntries(form), { grant_type: 'client_credentials', client_id: 'router', client_secret: 's3cr&t', scope: 'callbacks.write' })
})

t.test('clientAuth basic sends the client credentials as HTTP Basic, not in the body', async (t) => {
  const ep = await tokenEndpoint(t)
  const a = createAuthorizer(oauth(ep, { clientAuth: 'basic' }), { dispatcher, cache: new Map() })
  await a?.authorize(budget())
  const [req] = ep.requests
  t.equal(req.headers.authorization, `Basic ${Buffer.from('router:s3cr%26t').toString('base64')}`, 'RFC 6749 2.3.1: form-encoded, then base64')
  t.same(Object.fromEntries(new URLSearchParams(req.body.toString())), { grant_type: 'client_credentials' })
})

t.test('tokenPath reads the token at a dotted path', async (t) => {
  const ep = await startEndpoint({ behaviour: { body: JSON.stringify({ data: { jwt: 'deep-token' }, expires_in: 60 }) } })
  t.teardown(() => ep.close())
  const a = createAuthorizer(oauth(ep, { tokenPath: 'data.jwt' }), { dispatcher, cache: new Map() })
  t.same(await a?.authorize(budget()), { authorization: 'Bearer deep-token' })
})

t.test('expires_in, as a number or a string, bounds the cache', async (t) => {
  t.equal(parseExpiresIn('3599'), 3599)
  t.equal(parseExpiresIn(60), 60)
  t.equal(parseExpiresIn(' 30 '), 30)
  t.equal(parseExpiresIn('soon'), undefined)
  t.equal(parseExpiresIn(''), undefined)
  t.equal(parseExpiresIn(-1), undefined)
  const ep = await tokenEndpoint(t, () => ({ expires_in: '60' }))
  let clock = 0
  const a = createAuthorizer(oauth(ep), { dispatcher, cache: new Map(), now: () => clock })
  t.same(await a?.authorize(budget()), { authorization: 'Bearer tok1' })
  clock = 50_000
  t.same(await a?.authorize(budget()), { authorization: 'Bearer tok1' }, 'still valid after 50 s')
  clock = 60_000
  t.same(await a?.authorize(budget()), { authorization: 'Bearer tok2' }, 'renewed once expired')
  t.equal(ep.requests.length, 2)
})

t.test('invalidate forgets the refused token; a stale refusal keeps a fresher token', async (t) => {
  const ep = await tokenEndpoint(t)
  const a = createAuthorizer(oauth(ep), { dispatcher, cache: new Map() })
  await a?.authorize(budget())
  a?.invalidate('Bearer tok1')
  t.same(await a?.authorize(budget()), { authorization: 'Bearer tok2' })
  a?.invalidate('Bearer tok1')
  t.same(await a?.authorize(budget()), { authorization: 'Bearer tok2' }, 'another attempt had already refreshed it')
  t.equal(ep.requests.length, 2)
})

t.test('concurrent authorizations share one token request, and profiles with the same client share the cache', async (t) => {
  const ep = await tokenEndpoint(t)
  ep.setBehaviour({ delayMs: 50, body: JSON.stringify({ access_token: 'shared', expires_in: 100 }) })
  const cache: TokenCache = new Map()
  const a = createAuthorizer(oauth(ep), { dispatcher, cache })
  const b = createAuthorizer(oauth(ep), { dispatcher, cache })
  const got = await Promise.all([a?.authorize(budget()), a?.authorize(budget()), b?.authorize(budget())])
  t.same(got, [{ authorization: 'Bearer shared' }, { authorization: 'Bearer shared' }, { authorization: 'Bearer shared' }])
  t.equal(ep.requests.length, 1)
})

async function failure(p: Promise<unknown> | undefined): Promise<AuthError> {
  const e = await (p ?? Promise.resolve()).then(() => undefined, (err: unknown) => err)
  if (!(e instanceof AuthError)) throw new Error(`expected an AuthError, got ${String(e)}`)
  return e
}

t.test('a failing token endpoint fails the authorization with a short reason', async (t) => {
  const ep = await startEndpoint({ behaviour: { status: 500, body: 'oops' } })
  t.teardown(() => ep.close())
  const e = await failure(createAuthorizer(oauth(ep), { dispatcher, cache: new Map() })?.authorize(budget()))
  t.equal(e.reason, 'token status 500')
  t.equal(e.refused, false)
  ep.setBehaviour({ body: '{"token_type":"Bearer"}' })
  const missing = await failure(createAuthorizer(oauth(ep), { dispatcher, cache: new Map() })?.authorize(budget()))
  t.match(missing.reason, /no token at access_token/)
  ep.setBehaviour({ body: 'not json' })
  const bad = await failure(createAuthorizer(oauth(ep), { dispatcher, cache: new Map() })?.authorize(budget()))
  t.match(bad.reason, /not JSON/)
})

t.test('the token request obeys the attempt budget', async (t) => {
  const ep = await startEndpoint({ behaviour: { delayMs: 1000, body: '{"access_token":"late"}' } })
  t.teardown(() => ep.close())
  const e = await failure(createAuthorizer(oauth(ep), { dispatcher, cache: new Map() })?.authorize(AbortSignal.timeout(150)))
  t.equal(e.reason, 'token timeout')
})

t.test('the token request obeys the network policy', async (t) => {
  const ep = await startEndpoint({ host: '127.0.0.2', behaviour: { body: '{"access_token":"x"}' } })
  t.teardown(() => ep.close())
  const e = await failure(createAuthorizer(oauth(ep), { dispatcher, cache: new Map() })?.authorize(budget()))
  t.equal(e.reason, 'token address_refused')
  t.equal(e.refused, true)
  t.equal(ep.connections, 0)
})
