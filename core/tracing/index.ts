// Tracing of deliveries: the interface the daemon calls, and its off form. Off (the default)
// it loads nothing and costs one property read per event; on, `otel.ts` is required and
// wires the OpenTelemetry SDK with an OTLP/HTTP exporter from the standard OTEL_* variables.

/** A W3C trace context as header pairs (`traceparent`, `tracestate`). */
export type TraceCarrier = Record<string, string>

/** Reads a header of an incoming message (NATS headers are looked up by exact name). */
export type HeaderGetter = (name: string) => string | undefined

export interface EventSpanAttributes {
  channel: string
  event: string
  eventId: string
  account?: string
}

export interface AttemptSpanAttributes {
  profile: string
  channel: string
  event: string
  attempt: number
  method: string
  /** The endpoint's host; never the path or query, which may hold event data. */
  serverAddress: string
}

export interface AttemptEnd {
  status: number | null
  error: string | null
}

export interface EventSpan {
  /** The span's context as headers, for the jobs this event becomes (retries join the trace). */
  readonly carrier: TraceCarrier
  end(error?: string): void
}

export interface AttemptSpan {
  /** The headers the outgoing request carries (`traceparent`, `tracestate`). */
  readonly headers: TraceCarrier
  end(result: AttemptEnd): void
}

export interface Tracing {
  readonly enabled: boolean
  /** A `callback.event` span continuing the publisher's trace found in `headers`, if any. */
  event(headers: HeaderGetter, attrs: EventSpanAttributes): EventSpan | undefined
  /** A `callback.attempt` client span, child of the event (or of the context a job carried). */
  attempt(parent: TraceCarrier | undefined, attrs: AttemptSpanAttributes): AttemptSpan | undefined
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>
}

export const TRACING_OFF: Tracing = {
  enabled: false,
  event: () => undefined,
  attempt: () => undefined,
  shutdown: async () => {},
}

/** The header names of the W3C trace context, as carried on NATS messages and HTTP requests. */
export const TRACE_HEADERS = ['traceparent', 'tracestate'] as const

/** Tracing is on when an OTLP endpoint is configured (DESIGN "Tracing"). */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) && env.OTEL_SDK_DISABLED !== 'true'
}

export function createTracing(env: NodeJS.ProcessEnv = process.env): Tracing {
  if (!tracingEnabled(env)) return TRACING_OFF
  // Required here, not imported at the top: with tracing off the SDK is never loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const otel = require('./otel') as typeof import('./otel')
  return otel.createOtelTracing(env)
}
