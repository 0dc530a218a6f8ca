import t, { type Test } from 'tap'
import { Counter, Registry } from 'prom-client'
import { request as httpRequest, Agent } from 'node:http'
import { startStatusServer, type Readiness, type StatusServer } from '../core/daemon/status-server'
import { createFixture } from './helpers/daemon-fixture'

/** A plain status source: readiness the test flips, and a real prom-client registry. */
function source(checks: Record<string, boolean>) {
  const metrics = new Registry()
  const received = new Counter({ name: 'callback_router_events_received_total', help: 'Events read from NATS.', labelNames: ['channel', 'event'], registers: [metrics] })
  return {
    checks,
    metrics,
    received,
    ready(): Readiness {
      return { ready: Object.values(this.checks).every(Boolean), checks: { ...this.checks } }
    },
  }
}

async function start(t: Test, src: Parameters<typeof startStatusServer>[0]): Promise<StatusServer> {
  const server = await startStatusServer(src, { host: '127.0.0.1', port: 0 })
  t.teardown(() => server.close())
  return server
}

t.test('/healthz answers 200 while the process runs, whatever readiness says', async (t) => {
  const src = source({ nats: false, streams: false, config: true })
  const server = await start(t, src)
  const res = await fetch(`${server.url}/healthz`)
  t.equal(res.status, 200)
  t.same(await res.json(), { status: 'ok' })
})

t.test('/readyz is 200 when NATS is connected, streams ready and config loaded', async (t) => {
  const src = source({ nats: true, streams: true, config: true })
  const server = await start(t, src)
  const res = await fetch(`${server.url}/readyz`)
  t.equal(res.status, 200)
  t.same(await res.json(), { ready: true, checks: { nats: true, streams: true, config: true }, failing: [] })
})

t.test('/readyz is 503 with the failing checks during a NATS outage, and 200 again after', async (t) => {
  const src = source({ nats: true, streams: true, config: true })
  const server = await start(t, src)
  src.checks.nats = false
  const down = await fetch(`${server.url}/readyz`)
  t.equal(down.status, 503)
  t.match(down.headers.get('content-type'), /^application\/json/)
  t.same(await down.json(), { ready: false, checks: { nats: false, streams: true, config: true }, failing: ['nats'] })

  src.checks.nats = true
  const up = await fetch(`${server.url}/readyz`)
  t.equal(up.status, 200)
})

t.test('/readyz is 503 when the source says not ready even with no failing check listed', async (t) => {
  const server = await start(t, { metrics: new Registry(), ready: () => ({ ready: false, checks: {} }) })
  const res = await fetch(`${server.url}/readyz`)
  t.equal(res.status, 503)
  t.same(await res.json(), { ready: false, checks: {}, failing: [] })
})

t.test('/readyz is 503 when the readiness check itself throws', async (t) => {
  const server = await start(t, {
    metrics: new Registry(),
    ready: () => {
      throw new Error('config not loaded yet')
    },
  })
  const res = await fetch(`${server.url}/readyz`)
  t.equal(res.status, 503)
  t.match(await res.json(), { ready: false, error: 'config not loaded yet' })
})

t.test('/metrics serves the registry in the Prometheus text format', async (t) => {
  const src = source({ nats: true })
  src.received.inc({ channel: 'sms', event: 'sms-send' }, 3)
  const server = await start(t, src)
  const res = await fetch(`${server.url}/metrics`)
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), src.metrics.contentType)
  const text = await res.text()
  t.match(text, /# TYPE callback_router_events_received_total counter/)
  t.match(text, /callback_router_events_received_total\{channel="sms",event="sms-send"\} 3/)
})

t.test('a query string does not change the route', async (t) => {
  const server = await start(t, source({ nats: true }))
  t.equal((await fetch(`${server.url}/healthz?verbose=1`)).status, 200)
})

t.test('unknown paths are 404, and other methods than GET/HEAD on the probes are 405', async (t) => {
  const server = await start(t, source({ nats: true }))
  const missing = await fetch(`${server.url}/nope`)
  t.equal(missing.status, 404)
  t.match(await missing.json(), { error: 'not_found', path: '/nope' })
  t.equal((await fetch(`${server.url}/`)).status, 404)
  t.equal((await fetch(`${server.url}/healthz/extra`)).status, 404)

  const post = await fetch(`${server.url}/healthz`, { method: 'POST' })
  t.equal(post.status, 405)
  t.equal(post.headers.get('allow'), 'GET, HEAD')

  const head = await fetch(`${server.url}/readyz`, { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(await head.text(), '')
})

t.test('a mounted handler serves its prefix and everything below it, not look-alike paths', async (t) => {
  const server = await start(t, source({ nats: true }))
  const seen: string[] = []
  server.mount('/console', (req, res) => {
    seen.push(`${req.method} ${req.url}`)
    res.writeHead(200, { 'Content-Type': 'text/plain' })
    res.end('console')
  })
  server.mount('/console/api/', async (req, res) => {
    seen.push(`api ${req.url}`)
    res.writeHead(201)
    res.end()
  })
  t.equal(await (await fetch(`${server.url}/console`)).text(), 'console')
  t.equal((await fetch(`${server.url}/console/profiles?x=1`, { method: 'POST' })).status, 200)
  t.equal((await fetch(`${server.url}/console/api/profiles`)).status, 201, 'the longer prefix wins')
  t.equal((await fetch(`${server.url}/consoles`)).status, 404)
  t.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the probes stay')
  t.same(seen, ['GET /console', 'POST /console/profiles?x=1', 'api /console/api/profiles'])
})

t.test('a mounted handler that throws gives a 500, and the server keeps serving', async (t) => {
  const server = await start(t, source({ nats: true }))
  server.mount('/console', async () => {
    throw new Error('boom')
  })
  const res = await fetch(`${server.url}/console`)
  t.equal(res.status, 500)
  t.match(await res.json(), { error: 'internal', message: 'boom' })
  t.equal((await fetch(`${server.url}/healthz`)).status, 200)
})

t.test('port 0 picks a free port; a wildcard host gives a loopback url', async (t) => {
  const server = await startStatusServer(source({ nats: true }), { host: '0.0.0.0', port: 0 })
  t.teardown(() => server.close())
  t.ok(server.port > 0)
  t.equal(server.url, `http://127.0.0.1:${server.port}`)
  t.equal((await fetch(`${server.url}/healthz`)).status, 200)
})

t.test('a port already in use is refused at start', async (t) => {
  const first = await start(t, source({ nats: true }))
  await t.rejects(startStatusServer(source({ nats: true }), { host: '127.0.0.1', port: first.port }), { code: 'EADDRINUSE' })
})

t.test('close() returns even while a keep-alive connection is open, and the port is released', async (t) => {
  const server = await startStatusServer(source({ nats: true }), { host: '127.0.0.1', port: 0 })
  const agent = new Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(`${server.url}/healthz`, { agent }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
  t.equal(status, 200)
  await server.close()
  await t.rejects(fetch(`${server.url}/healthz`))
})

t.test('with a real daemon: /readyz is 503 naming nats while NATS is down and 200 once it is back; /metrics lists the DESIGN metrics', async (t) => {
  const fixture = await createFixture({ logLevel: 'silent' })
  t.teardown(() => fixture.close())
  const daemon = await fixture.start()
  const server = await startStatusServer(daemon, { host: '127.0.0.1', port: 0 })
  t.teardown(() => server.close())

  const ready = await waitForStatus(`${server.url}/readyz`, 200)
  t.equal(ready.status, 200)

  const metrics = await (await fetch(`${server.url}/metrics`)).text()
  for (const name of [
    'callback_router_events_received_total',
    'callback_router_events_invalid_total',
    'callback_router_deliveries_total',
    'callback_router_attempt_duration_seconds',
    'callback_router_retries_scheduled_total',
    'callback_router_dead_letters_total',
    'callback_router_in_flight',
    'callback_router_config_reloads_total',
    'callback_router_consumer_pending',
    'callback_router_retries_waiting',
  ]) {
    t.match(metrics, new RegExp(`^# TYPE ${name} `, 'm'), name)
  }

  await fixture.nats.stop()
  const down = await waitForStatus(`${server.url}/readyz`, 503)
  t.equal(down.status, 503)
  t.match(down.body, { ready: false, checks: { nats: false } })
  t.ok((down.body as { failing: string[] }).failing.includes('nats'), 'nats is named as failing')
  t.equal((await fetch(`${server.url}/healthz`)).status, 200, 'alive all the same')

  await fixture.nats.start()
  t.equal((await waitForStatus(`${server.url}/readyz`, 200)).status, 200, 'ready again after the reconnect')
})

async function waitForStatus(url: string, status: number, timeoutMs = 30_000): Promise<{ status: number; body: unknown }> {
  const deadline = Date.now() + timeoutMs
  let last = { status: 0, body: undefined as unknown }
  while (Date.now() < deadline) {
    const res = await fetch(url)
    last = { status: res.status, body: await res.json() }
    if (last.status === status) return last
    await new Promise((r) => setTimeout(r, 100))
  }
  return last
}
