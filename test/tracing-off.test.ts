// Tracing off (no OTLP endpoint, the default): a daemon delivers without loading any
// OpenTelemetry SDK module and sends no traceparent of its own. This file runs in a
// process of its own (tap), so nothing else has loaded the SDK before.
import t from 'tap'
import { sep } from 'node:path'
import { createFixture, profile } from './helpers/daemon-fixture'
import { startEndpoint } from './helpers/endpoint'

t.test('with tracing off no @opentelemetry/sdk-* module is loaded and requests carry no traceparent', async (t) => {
  for (const k of Object.keys(process.env)) if (k.startsWith('OTEL_')) delete process.env[k]
  const endpoint = await startEndpoint({ behaviour: { status: 200 } })
  const fx = await createFixture({ profiles: [profile('plain', `${endpoint.url}/hook`)] })
  t.teardown(async () => {
    await fx.close()
    await endpoint.close()
  })
  await fx.start()
  await fx.publish('sms', 'sms-send', { id: 'evt_off_1', account: 'acme', data: { id: 'm1', to: '+15550100', status: 'Delivered' } })
  const [req] = await endpoint.waitFor(1, 20_000)
  t.equal(req.headers.traceparent, undefined)
  const loaded = Object.keys(require.cache).filter((k) => /@opentelemetry[\\/]sdk-|@opentelemetry[\\/]exporter-/.test(k))
  t.same(loaded, [], 'no OpenTelemetry SDK or exporter module in require.cache')
  t.ok(Object.keys(require.cache).some((k) => k.includes(`core${sep}daemon`)), 'the daemon itself was loaded through require (so the check can see)')
})
