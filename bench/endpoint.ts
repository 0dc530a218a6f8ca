// The benchmark's receiving endpoint, in its own process (started with fork) so it competes
// with no forwarder's event loop. Answers every request 200 "ok" and counts arrivals; in
// latency mode it also reads the publish time the event carries in `ref` (a JSON body, a
// urlencoded body or a query string: `ref":"<µs>"` or `ref=<µs>`) and keeps
// arrival − publish. The parent drives it over the IPC channel:
//   { type: 'reset', latency: boolean, mark?: number }  → { type: 'reset' }
//     (mark: also keep the arrival time of request number `mark`, where a warm figure starts)
//   { type: 'stats' }                    → EndpointStats
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { nowUs } from './clock'

export interface EndpointStats {
  type: 'stats'
  count: number
  /** Arrival time (µs, shared monotonic clock) of the first and last request since the reset. */
  firstUs: number
  lastUs: number
  /** Arrival time of request number `mark` of the reset (0 before it came, or without a mark). */
  markUs: number
  /** Publish → arrival, ms, of the requests since a latency reset. */
  latency: { n: number; p50: number; p99: number; max: number } | null
}

export type EndpointCommand = { type: 'reset'; latency: boolean; mark?: number } | { type: 'stats' }

const REF = /ref"?[=:]"?(\d+)/

let count = 0
let firstUs = 0
let lastUs = 0
let mark = 0
let markUs = 0
let recordLatency = false
let latencies: number[] = []

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const now = nowUs()
    if (count === 0) firstUs = now
    count++
    lastUs = now
    if (count === mark) markUs = now
    if (recordLatency) {
      const m = REF.exec(req.url ?? '') ?? REF.exec(Buffer.concat(chunks).toString('latin1'))
      if (m) latencies.push((now - Number(m[1])) / 1000)
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' })
    res.end('ok')
  })
})
server.keepAliveTimeout = 60_000

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function round(x: number): number {
  return Math.round(x * 100) / 100
}

process.on('message', (msg: EndpointCommand) => {
  if (msg.type === 'reset') {
    count = 0
    firstUs = 0
    lastUs = 0
    mark = msg.mark ?? 0
    markUs = 0
    latencies = []
    recordLatency = msg.latency
    process.send?.({ type: 'reset' })
    return
  }
  let latency: EndpointStats['latency'] = null
  if (recordLatency) {
    const sorted = latencies.slice().sort((a, b) => a - b)
    latency = { n: sorted.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted[sorted.length - 1] ?? 0) }
  }
  const stats: EndpointStats = { type: 'stats', count, firstUs, lastUs, markUs, latency }
  process.send?.(stats)
})
process.on('disconnect', () => process.exit(0))

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'port', port: (server.address() as AddressInfo).port })
})
