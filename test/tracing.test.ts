// The tracing wing alone: off loads no SDK; on, spans continue the publisher's trace and
// reach a real OTLP/HTTP receiver in both encodings.
import t from 'tap'
import { createTracing, TRACING_OFF } from '../core/tracing'
import { startOtlpReceiver } from './helpers/otlp-receiver'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PUBLISHER_SPAN = '00f067aa0ba902b7'

const sdkLoaded = (): string[] => Object.keys(require.cache).filter((k) => /@opentelemetry[\\/]sdk-/.test(k))

t.test('without an OTLP endpoint tracing is off and no OpenTelemetry SDK module is loaded', async (t) => {
  const tracing = createTracing({})
  t.equal(tracing, TRACING_OFF)
  t.equal(tracing.event(() => undefined, { channel: 'sms', event: 'sms-send', eventId: 'e1' }), undefined)
  t.same(sdkLoaded(), [], 'no @opentelemetry/sdk-* in require.cache')
})

for (const protocol of ['http/protobuf', 'http/json']) {
  t.test(`with ${protocol}, an event span continues the publisher's trace and an attempt span is its client child`, async (t) => {
    const receiver = await startOtlpReceiver()
    t.teardown(() => receiver.close())
    const saved = { ...process.env }
    t.teardown(() => { process.env = saved })
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = protocol
    process.env.OTEL_SERVICE_NAME = 'router-under-test'
    const tracing = createTracing(process.env)
    t.ok(tracing.enabled)
    const incoming: Record<string, string> = { traceparent: `00-${TRACE_ID}-${PUBLISHER_SPAN}-01` }
    const ev = tracing.event((k) => incoming[k], { channel: 'sms', event: 'sms-send', eventId: 'evt_1', account: 'acme' })
    t.ok(ev)
    t.match(ev!.carrier.traceparent, new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`), 'the carrier a job keeps is of the same trace')
    const attempt = tracing.attempt(ev!.carrier, { profile: 'p1', channel: 'sms', event: 'sms-send', attempt: 1, method: 'POST', serverAddress: 'hooks.example' })
    t.match(attempt!.headers.traceparent, new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`))
    attempt!.end({ status: 503, error: 'status 503' })
    ev!.end()
    await tracing.shutdown()
    t.equal(receiver.spans.length, 2)
    const evSpan = receiver.spans.find((s) => s.name === 'callback.event')!
    const atSpan = receiver.spans.find((s) => s.name === 'callback.attempt')!
    t.equal(evSpan.encoding, protocol === 'http/json' ? 'json' : 'protobuf')
    t.equal(evSpan.traceId, TRACE_ID)
    t.equal(evSpan.parentSpanId, PUBLISHER_SPAN, 'the event span is the publisher span\'s child')
    t.equal(evSpan.serviceName, 'router-under-test')
    t.equal(atSpan.traceId, TRACE_ID)
    t.equal(atSpan.parentSpanId, evSpan.spanId)
    t.equal(atSpan.kind, 3, 'SPAN_KIND_CLIENT')
    t.equal(attempt!.headers.traceparent, `00-${TRACE_ID}-${atSpan.spanId}-01`, 'the request header names the attempt span')
    t.match(atSpan.attributes, { 'callback.profile': 'p1', 'callback.channel': 'sms', 'callback.event': 'sms-send', 'callback.attempt': 1, 'http.request.method': 'POST', 'server.address': 'hooks.example', 'http.response.status_code': 503 })
    t.equal(atSpan.statusCode, 2, 'STATUS_CODE_ERROR on a failed attempt')
  })
}
