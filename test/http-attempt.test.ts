import t from 'tap'
import { createDispatcher } from '../core/delivery/dispatcher'
import { sendAttempt, USER_AGENT } from '../core/delivery/http-attempt'
import { VERSION } from '../core/version'
import { startEndpoint, type Endpoint } from './helpers/endpoint'

const dispatcher = createDispatcher({ allow: ['127.0.0.0/8', '::1'] })
t.teardown(() => dispatcher.close())

async function endpoint(t: { teardown(fn: () => unknown): void }): Promise<Endpoint> {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  return ep
}

const opts = { dispatcher, timeoutMs: 2000, maxResponseBytes: 1024 }

t.test('a 2xx answer is a success with status, excerpt, latency and the User-Agent sent', async (t) => {
  const ep = await endpoint(t)
  ep.setBehaviour({ status: 202, body: 'accepted' })
  const body = new TextEncoder().encode('{"a":1}')
  const r = await sendAttempt({ method: 'POST', url: `${ep.url}/hook?x=1`, headers: { 'content-type': 'application/json' }, body }, opts)
  t.equal(r.ok, true)
  t.equal(r.status, 202)
  t.equal(r.error, null)
  t.equal(r.refused, false)
  t.equal(r.responseExcerpt, 'accepted')
  t.ok(r.latencyMs > 0)
  const [req] = ep.requests
  t.equal(req.path, '/hook?x=1')
  t.equal(req.body.toString(), '{"a":1}')
  t.equal(req.headers['user-agent'], `callback-router/${VERSION}`)
  t.equal(USER_AGENT, `callback-router/${VERSION}`)
})

t.test('a non-2xx answer is a failure named by its status, with Retry-After kept', async (t) => {
  const ep = await endpoint(t)
  ep.setBehaviour({ status: 503, headers: { 'retry-after': '7' }, body: 'busy' })
  const r = await sendAttempt({ method: 'POST', url: ep.url, headers: {} }, opts)
  t.equal(r.ok, false)
  t.equal(r.status, 503)
  t.equal(r.error, 'status 503')
  t.equal(r.retryAfter, '7')
  t.equal(r.responseExcerpt, 'busy')
})

t.test('redirects are not followed: a 302 is a failure and the target sees nothing', async (t) => {
  const ep = await endpoint(t)
  ep.setBehaviour({ status: 302, headers: { location: '/elsewhere' } }, '/hook')
  const r = await sendAttempt({ method: 'GET', url: `${ep.url}/hook`, headers: {} }, opts)
  t.equal(r.ok, false)
  t.equal(r.error, 'status 302')
  t.equal(ep.requests.length, 1)
  t.equal(ep.requests[0].pathname, '/hook')
})

t.test('an answer later than timeoutMs is a timeout', async (t) => {
  const ep = await endpoint(t)
  ep.setBehaviour({ delayMs: 1000 })
  const r = await sendAttempt({ method: 'POST', url: ep.url, headers: {} }, { ...opts, timeoutMs: 200 })
  t.equal(r.ok, false)
  t.equal(r.error, 'timeout')
  t.equal(r.status, null)
  t.ok(r.latencyMs >= 190, `latency ${r.latencyMs} covers the timeout`)
})

t.test('a body trickled byte by byte times out although every chunk comes quickly', async (t) => {
  const ep = await endpoint(t)
  // 40 bytes at one per 25 ms: 1 s in all, each gap far below the 300 ms budget.
  ep.setBehaviour({ trickleMs: 25, body: 'x'.repeat(40) })
  const r = await sendAttempt({ method: 'GET', url: ep.url, headers: {} }, { ...opts, timeoutMs: 300 })
  t.equal(r.ok, false)
  t.equal(r.error, 'timeout')
  t.equal(r.status, 200, 'the status arrived; the body did not finish in time')
  t.ok(r.latencyMs >= 290)
})

t.test('headers that never come are a timeout', async (t) => {
  const ep = await endpoint(t)
  ep.setBehaviour({ hang: true, hangBeforeHeaders: true })
  const r = await sendAttempt({ method: 'GET', url: ep.url, headers: {} }, { ...opts, timeoutMs: 200 })
  t.equal(r.error, 'timeout')
})

t.test('a dropped connection is a reset', async (t) => {
  const ep = await endpoint(t)
  ep.setBehaviour({ drop: true })
  const r = await sendAttempt({ method: 'POST', url: ep.url, headers: {}, body: new Uint8Array([1, 2, 3]) }, opts)
  t.equal(r.ok, false)
  t.equal(r.error, 'reset')
  t.equal(r.refused, false)
})

t.test('a closed port is refused (a network error, not the policy)', async (t) => {
  const ep = await startEndpoint()
  const url = ep.url
  await ep.close()
  const r = await sendAttempt({ method: 'GET', url, headers: {} }, opts)
  t.equal(r.error, 'refused')
  t.equal(r.refused, false)
})

t.test('a name that does not resolve is a dns failure', async (t) => {
  const d = createDispatcher({ allow: [] }, {
    lookup: async (host) => {
      const err = new Error(`getaddrinfo ENOTFOUND ${host}`) as NodeJS.ErrnoException
      err.code = 'ENOTFOUND'
      throw err
    },
  })
  t.teardown(() => d.close())
  const r = await sendAttempt({ method: 'GET', url: 'http://no-such-host.invalid/', headers: {} }, { ...opts, dispatcher: d })
  t.equal(r.error, 'dns')
})

t.test('the response is read up to maxResponseBytes, the rest discarded', async (t) => {
  const ep = await endpoint(t)
  ep.setBehaviour({ body: 'a'.repeat(200_000) })
  const r = await sendAttempt({ method: 'GET', url: ep.url, headers: {} }, { ...opts, maxResponseBytes: 100 })
  t.equal(r.ok, true)
  t.equal(r.responseExcerpt, 'a'.repeat(100))
})

t.test('consecutive attempts to one origin reuse a keep-alive connection', async (t) => {
  const ep = await endpoint(t)
  for (let i = 0; i < 3; i++) {
    const r = await sendAttempt({ method: 'POST', url: `${ep.url}/k${i}`, headers: {} }, opts)
    t.equal(r.ok, true)
    // undici hands the socket back to its pool a tick after the body ends.
    await new Promise(setImmediate)
  }
  t.equal(ep.requests.length, 3)
  t.equal(ep.connections, 1)
})

t.test('a malformed URL is a failed attempt, not a throw', async (t) => {
  const r = await sendAttempt({ method: 'GET', url: 'not a url', headers: {} }, opts)
  t.equal(r.ok, false)
  t.type(r.error, 'string')
})
