// A real OTLP/HTTP trace receiver for tests: accepts POST /v1/traces in protobuf
// (application/x-protobuf) or JSON (application/json), decodes the spans and keeps them.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId: string
  name: string
  kind: number
  attributes: Record<string, string | number | boolean>
  statusCode: number
  serviceName: string
  /** The content type it arrived with. */
  encoding: 'protobuf' | 'json'
}

export interface OtlpReceiver {
  url: string
  spans: ReceivedSpan[]
  close(): Promise<void>
}

// --- protobuf wire format, just enough for ExportTraceServiceRequest -----------------
type Field = { no: number; wire: number; value: bigint | Buffer }

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n
  let shift = 0n
  for (;;) {
    const b = buf[pos++]
    result |= BigInt(b & 0x7f) << shift
    if ((b & 0x80) === 0) return [result, pos]
    shift += 7n
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = []
  let pos = 0
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos)
    const no = Number(key >> 3n)
    const wire = Number(key & 7n)
    pos = p1
    if (wire === 0) {
      const [v, p2] = readVarint(buf, pos)
      out.push({ no, wire, value: v })
      pos = p2
    } else if (wire === 1) {
      out.push({ no, wire, value: buf.readBigUInt64LE(pos) })
      pos += 8
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos)
      out.push({ no, wire, value: buf.subarray(p2, p2 + Number(len)) })
      pos = p2 + Number(len)
    } else if (wire === 5) {
      out.push({ no, wire, value: BigInt(buf.readUInt32LE(pos)) })
      pos += 4
    } else {
      throw new Error(`unsupported wire type ${wire}`)
    }
  }
  return out
}

const bytesOf = (f: Field[], no: number): Buffer[] => f.filter((x) => x.no === no && Buffer.isBuffer(x.value)).map((x) => x.value as Buffer)
const one = (f: Field[], no: number): Buffer | undefined => bytesOf(f, no)[0]
const num = (f: Field[], no: number): number => Number((f.find((x) => x.no === no)?.value as bigint | undefined) ?? 0n)

function anyValue(buf: Buffer): string | number | boolean {
  const f = fields(buf)[0]
  if (f === undefined) return ''
  if (f.no === 1) return (f.value as Buffer).toString('utf8')
  if (f.no === 2) return f.value === 1n
  if (f.no === 3) return Number(BigInt.asIntN(64, f.value as bigint))
  if (f.no === 4) return Buffer.from((f.value as bigint).toString(16).padStart(16, '0'), 'hex').readDoubleBE(0)
  return ''
}

function keyValues(list: Buffer[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const kv of list) {
    const f = fields(kv)
    out[one(f, 1)?.toString('utf8') ?? ''] = anyValue(one(f, 2) ?? Buffer.alloc(0))
  }
  return out
}

function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = []
  for (const rs of bytesOf(fields(body), 1)) {
    const rsf = fields(rs)
    const resource = one(rsf, 1)
    const serviceName = String(resource ? keyValues(bytesOf(fields(resource), 1))['service.name'] ?? '' : '')
    for (const ss of bytesOf(rsf, 2)) {
      for (const s of bytesOf(fields(ss), 2)) {
        const sf = fields(s)
        const status = one(sf, 15)
        spans.push({
          traceId: one(sf, 1)?.toString('hex') ?? '',
          spanId: one(sf, 2)?.toString('hex') ?? '',
          parentSpanId: one(sf, 4)?.toString('hex') ?? '',
          name: one(sf, 5)?.toString('utf8') ?? '',
          kind: num(sf, 6),
          attributes: keyValues(bytesOf(sf, 9)),
          statusCode: status ? num(fields(status), 3) : 0,
          serviceName,
          encoding: 'protobuf',
        })
      }
    }
  }
  return spans
}

// --- JSON ------------------------------------------------------------------------------
interface JsonAny { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }
interface JsonKv { key: string; value: JsonAny }
interface JsonSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: JsonKv[]; status?: { code?: number } }
interface JsonBody { resourceSpans?: Array<{ resource?: { attributes?: JsonKv[] }; scopeSpans?: Array<{ spans?: JsonSpan[] }> }> }

function jsonAttrs(list: JsonKv[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const { key, value } of list ?? []) {
    out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.boolValue ?? value.doubleValue ?? ''
  }
  return out
}

function decodeJson(body: Buffer): ReceivedSpan[] {
  const parsed = JSON.parse(body.toString('utf8')) as JsonBody
  const spans: ReceivedSpan[] = []
  for (const rs of parsed.resourceSpans ?? []) {
    const serviceName = String(jsonAttrs(rs.resource?.attributes)['service.name'] ?? '')
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({ traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', name: s.name, kind: s.kind, attributes: jsonAttrs(s.attributes), statusCode: s.status?.code ?? 0, serviceName, encoding: 'json' })
      }
    }
  }
  return spans
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      try {
        if (req.method !== 'POST' || req.url !== '/v1/traces') throw new Error(`unexpected ${req.method} ${req.url}`)
        const json = (req.headers['content-type'] ?? '').includes('json')
        spans.push(...(json ? decodeJson(body) : decodeProtobuf(body)))
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
        res.end(json ? '{}' : '')
      } catch (e) {
        res.writeHead(400)
        res.end(String(e))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
