import t from 'tap'
import { request } from 'undici'
import { startEndpoint } from './helpers/endpoint'

t.test('the endpoint records method, path, headers and body, and answers 200 by default', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  const res = await request(`${ep.url}/hook?a=1`, { method: 'POST', body: 'hello', headers: { 'x-k': 'v' } })
  t.equal(res.statusCode, 200)
  t.equal(await res.body.text(), 'ok')
  const [r] = await ep.waitFor(1)
  t.equal(r.method, 'POST')
  t.equal(r.path, '/hook?a=1')
  t.equal(r.pathname, '/hook')
  t.equal(r.headers['x-k'], 'v')
  t.equal(r.body.toString(), 'hello')
  t.ok(r.receivedAt >= r.startedAt)
  t.equal(ep.inFlight, 0)
  t.equal(ep.maxInFlight, 1)
})

t.test('a path behaviour wins over the default, and a function sees the request index', async (t) => {
  const ep = await startEndpoint({ behaviour: (req) => ({ status: req.index === 0 ? 503 : 201, headers: { 'retry-after': '2' } }) })
  t.teardown(() => ep.close())
  ep.setBehaviour({ status: 404 }, '/missing')
  const a = await request(`${ep.url}/x`)
  await a.body.dump()
  const b = await request(`${ep.url}/x`)
  await b.body.dump()
  const c = await request(`${ep.url}/missing?q=1`)
  await c.body.dump()
  t.same([a.statusCode, b.statusCode, c.statusCode], [503, 201, 404])
  t.equal(a.headers['retry-after'], '2')
})

t.test('drop destroys the connection and delayMs holds the answer back', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  ep.setBehaviour({ drop: true }, '/drop')
  ep.setBehaviour({ delayMs: 100 }, '/slow')
  await t.rejects(request(`${ep.url}/drop`))
  const start = Date.now()
  const res = await request(`${ep.url}/slow`)
  await res.body.dump()
  t.ok(Date.now() - start >= 90)
})

t.test('trickle sends the body one byte at a time', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  ep.setBehaviour({ trickleMs: 20, body: 'abcde' })
  const start = Date.now()
  const res = await request(ep.url)
  t.equal(await res.body.text(), 'abcde')
  t.ok(Date.now() - start >= 70)
})

t.test('waitFor rejects when too few requests arrive in time', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  await t.rejects(ep.waitFor(1, 50), /0 of 1/)
})

t.test('close ends hanging answers', async (t) => {
  const ep = await startEndpoint({ behaviour: { hang: true } })
  const res = await request(ep.url)
  t.equal(res.statusCode, 200)
  t.equal(ep.inFlight, 1)
  const text = res.body.text().catch((e: Error) => e)
  await ep.close()
  t.type(await text, Error)
})

t.test('a 204 answer carries no body', async (t) => {
  const ep = await startEndpoint({ behaviour: { status: 204 } })
  t.teardown(() => ep.close())
  const res = await request(ep.url, { method: 'POST', body: 'x' })
  t.equal(res.statusCode, 204)
  t.equal(res.headers['content-length'], undefined)
  t.equal(await res.body.text(), '')
})
