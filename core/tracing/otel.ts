// The OpenTelemetry SDK behind `Tracing`, loaded only when tracing is on. Spans are created
// with explicit parents (no context manager: the daemon's async work is not a call stack),
// batched, and exported over OTLP/HTTP, protobuf by default or JSON with
// OTEL_EXPORTER_OTLP_PROTOCOL=http/json. The exporters read the endpoint, headers and
// timeout from the standard OTEL_EXPORTER_OTLP_* variables themselves.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapGetter } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { VERSION } from '../version'
import type { AttemptSpan, AttemptSpanAttributes, EventSpan, EventSpanAttributes, HeaderGetter, TraceCarrier, Tracing } from './index'

const propagator = new W3CTraceContextPropagator()

const getHeader: TextMapGetter<HeaderGetter> = {
  get: (get, key) => get(key),
  keys: () => ['traceparent', 'tracestate'],
}

const getCarrier: TextMapGetter<TraceCarrier> = {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
}

function carrierOf(ctx: Context): TraceCarrier {
  const carrier: TraceCarrier = {}
  propagator.inject(ctx, carrier, { set: (c, k, v) => { c[k] = v } })
  return carrier
}

function protocolOf(env: NodeJS.ProcessEnv): string {
  return env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf'
}

export function createOtelTracing(env: NodeJS.ProcessEnv): Tracing {
  const exporter = protocolOf(env) === 'http/json' ? new JsonExporter() : new ProtoExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || 'callback-router', 'service.version': VERSION }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  })
  const tracer = provider.getTracer('callback-router', VERSION)

  function endSpan(span: Span, error: string | undefined): void {
    if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error })
    span.end()
  }

  return {
    enabled: true,
    event(headers: HeaderGetter, attrs: EventSpanAttributes): EventSpan {
      const parent = propagator.extract(ROOT_CONTEXT, headers, getHeader)
      const span = tracer.startSpan('callback.event', {
        kind: SpanKind.CONSUMER,
        attributes: {
          'callback.channel': attrs.channel,
          'callback.event': attrs.event,
          'callback.event_id': attrs.eventId,
          ...(attrs.account !== undefined ? { 'callback.account': attrs.account } : {}),
          'messaging.system': 'nats',
        },
      }, parent)
      const carrier = carrierOf(trace.setSpan(parent, span))
      return { carrier, end: (error?: string) => endSpan(span, error) }
    },
    attempt(parentCarrier: TraceCarrier | undefined, attrs: AttemptSpanAttributes): AttemptSpan {
      const parent = parentCarrier === undefined ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, parentCarrier, getCarrier)
      const span = tracer.startSpan('callback.attempt', {
        kind: SpanKind.CLIENT,
        attributes: {
          'callback.profile': attrs.profile,
          'callback.channel': attrs.channel,
          'callback.event': attrs.event,
          'callback.attempt': attrs.attempt,
          'http.request.method': attrs.method,
          'server.address': attrs.serverAddress,
        },
      }, parent)
      const headers = carrierOf(trace.setSpan(parent, span))
      return {
        headers,
        end(result): void {
          if (result.status !== null) span.setAttribute('http.response.status_code', result.status)
          if (result.error !== null) span.setAttribute('error.type', result.error)
          endSpan(span, result.error ?? undefined)
        },
      }
    },
    async shutdown(): Promise<void> {
      await provider.shutdown()
    },
  }
}
