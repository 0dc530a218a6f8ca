// Tracing end to end with a real nats-server, a real endpoint and a real OTLP/HTTP
// receiver: the publisher's trace continues through routing, each attempt and its retry
// (carried in the job's headers), into the requests the customer's endpoint receives.
import t from 'tap'
import { headers as natsHeaders } from 'nats'
import { createFixture, eventually, profile, spawnCli } from './helpers/daemon-fixture'
import { startEndpoint } from './helpers/endpoint'
import { startOtlpReceiver } from './helpers/otlp-receiver'

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const PUBLISHER_SPAN = 'b7ad6b7169203331'

for (const protocol of ['http/protobuf', 'http/json']) {
  t.test(`${protocol}: one trace holds the event span and both attempt spans of a delivery that fails once, and both requests carry it`, async (t) => {
    const endpoint = await startEndpoint({ behaviour: (req) => (req.index === 0 ? { status: 503 } : { status: 200 }) })
    const receiver = await startOtlpReceiver()
    const fx = await createFixture({
      logLevel: 'info',
      profiles: [profile('traced', `${endpoint.url}/hook/<id>`, { retry: { count: 2, intervalSeconds: 0.2 } })],
    })
    t.teardown(async () => {
      await fx.close()
      await endpoint.close()
      await receiver.close()
    })
    const daemon = spawnCli(['--config', fx.configFile, 'start'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_SERVICE_NAME: 'callback-router-test',
    })
    t.teardown(async () => {
      daemon.proc.kill('SIGTERM')
      await daemon.exited
    })
    await eventually(() => daemon.stderr().includes('daemon started') || daemon.stdout().includes('daemon started'), 30_000)

    const h = natsHeaders()
    h.set('traceparent', `00-${TRACE_ID}-${PUBLISHER_SPAN}-01`)
    h.set('tracestate', 'vendor=abc')
    const envelope = { id: 'evt_traced_1', account: 'acme', data: { id: 'm1', to: '+15550100', status: 'Delivered' } }
    await fx.js.publish('callbacks.sms.sms-send', Buffer.from(JSON.stringify(envelope)), { msgID: envelope.id, headers: h })

    const requests = await endpoint.waitFor(2, 30_000)
    const spans = await eventually(() => {
      const mine = receiver.spans.filter((s) => s.traceId === TRACE_ID)
      return mine.filter((s) => s.name === 'callback.attempt').length >= 2 && mine.some((s) => s.name === 'callback.event') ? mine : undefined
    }, 30_000)

    const events = spans.filter((s) => s.name === 'callback.event')
    const attempts = spans.filter((s) => s.name === 'callback.attempt').sort((a, b) => Number(a.attributes['callback.attempt']) - Number(b.attributes['callback.attempt']))
    t.equal(events.length, 1, 'one event span')
    t.equal(attempts.length, 2, 'two attempt spans')
    t.equal(events[0].parentSpanId, PUBLISHER_SPAN, 'the event span continues the publisher\'s span')
    t.equal(events[0].serviceName, 'callback-router-test')
    for (const [i, a] of attempts.entries()) {
      t.equal(a.parentSpanId, events[0].spanId, `attempt ${i + 1} is a child of the event span`)
      t.equal(a.kind, 3, 'client span')
      t.match(a.attributes, {
        'callback.profile': 'traced',
        'callback.channel': 'sms',
        'callback.event': 'sms-send',
        'callback.attempt': i + 1,
        'http.request.method': 'POST',
        'server.address': '127.0.0.1',
        'http.response.status_code': i === 0 ? 503 : 200,
      })
    }
    t.equal(attempts[0].statusCode, 2, 'the failed attempt is an error span')
    for (const [i, r] of requests.slice(0, 2).entries()) {
      const tp = String(r.headers.traceparent ?? '')
      t.match(tp, new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`), `request ${i + 1} carries a traceparent of the publisher's trace`)
      t.equal(tp.split('-')[2], attempts[i].spanId, `request ${i + 1} names its attempt span`)
      t.equal(r.headers.tracestate, 'vendor=abc', 'tracestate is carried along')
    }
  })
}
