// A real recording HTTP endpoint on 127.0.0.1 for integration tests: the receiving side of
// a webhook. Every request is recorded (method, path, headers, body, timings), and how the
// endpoint answers is scripted per path or per request index.
//
//   const ep = await startEndpoint()                     // 127.0.0.1, free port, answers 200 "ok"
//   t.teardown(() => ep.close())
//   ep.setBehaviour({ status: 503, headers: { 'retry-after': '2' } })       // every request
//   ep.setBehaviour({ delayMs: 300 }, '/slow')                               // one path only
//   ep.setBehaviour((req) => (req.index === 0 ? { drop: true } : {}))       // by request index
//   const [req] = await ep.waitFor(1)
//   JSON.parse(req.body.toString())
//
// Behaviours (all optional; an empty object means 200 "ok"):
//   status, headers, body        the answer (default body "ok"; none with 204 and 304)
//   delayMs                      wait this long after the request body arrived before answering
//   trickleMs                    send the response body one byte every trickleMs (headers at once)
//   drop                         destroy the socket instead of answering (a connection reset)
//   hang                         send the headers, then never end the body (or nothing, with
//                                hangBeforeHeaders)
// A path-specific behaviour wins over the default one. A function receives the recorded
// request (its `index` counts from 0 across all paths; `pathIndex` within its path).
//
// Timings are epoch milliseconds with sub-millisecond precision (performance.timeOrigin +
// performance.now()): `startedAt` when the request's headers arrived, `receivedAt` when its
// body was complete, `finishedAt` when its answer was finished or its connection closed.
// `inFlight` counts requests whose headers arrived and whose answer is not finished yet;
// `maxInFlight` is its high-water mark. `connections` counts accepted TCP
// connections (keep-alive reuse shows as fewer connections than requests).
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface Behaviour {
  status?: number
  headers?: Record<string, string>
  body?: string | Buffer
  delayMs?: number
  trickleMs?: number
  drop?: boolean
  hang?: boolean
  hangBeforeHeaders?: boolean
}

export interface RecordedRequest {
  /** 0-based index across all requests of this endpoint. */
  index: number
  /** 0-based index among the requests to the same path (without query). */
  pathIndex: number
  method: string
  /** Request target as sent: path and query. */
  path: string
  /** Path without the query string. */
  pathname: string
  /** Full URL (http://127.0.0.1:port/path?query). */
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
  /** Epoch ms when the request headers arrived. */
  startedAt: number
  /** Epoch ms when the request body was complete. */
  receivedAt: number
  /** Epoch ms when the answer was finished or the connection closed (in flight until then). */
  finishedAt?: number
  /** The TCP connection it came on: its number and, once it closed, when (a killed sender's connections close with it). */
  connection: Connection
}

export interface Connection {
  id: number
  closedAt?: number
}

export type BehaviourFn = (req: RecordedRequest) => Behaviour | undefined
export type BehaviourSpec = Behaviour | BehaviourFn

export interface EndpointOptions {
  /** Listen address; default 127.0.0.1 (any 127.x.y.z works on Linux, or ::1). */
  host?: string
  /** Listen port; default 0 (a free one). Two hosts (127.0.0.1, 127.0.0.2) may share a port. */
  port?: number
  /** Default behaviour. */
  behaviour?: BehaviourSpec
}

export interface Endpoint {
  url: string
  port: number
  host: string
  requests: RecordedRequest[]
  readonly inFlight: number
  readonly maxInFlight: number
  readonly connections: number
  /** Resolves once at least n requests are recorded; rejects after timeoutMs (default 5000). */
  waitFor(n: number, timeoutMs?: number): Promise<RecordedRequest[]>
  /** Sets the default behaviour, or the behaviour of one path (pathname, no query). */
  setBehaviour(b: BehaviourSpec | undefined, path?: string): void
  /** Forgets recorded requests and resets the counters (not the behaviours). */
  reset(): void
  close(): Promise<void>
}

export function now(): number {
  return performance.timeOrigin + performance.now()
}

export async function startEndpoint(options: EndpointOptions = {}): Promise<Endpoint> {
  const host = options.host ?? '127.0.0.1'
  let defaultBehaviour: BehaviourSpec | undefined = options.behaviour
  const byPath = new Map<string, BehaviourSpec>()
  const pathCounts = new Map<string, number>()
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  const waiters: { n: number; resolve: () => void }[] = []
  let index = 0
  let inFlight = 0
  let maxInFlight = 0
  let connections = 0
  let closed = false

  const requests: RecordedRequest[] = []

  function later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer)
      fn()
    }, ms)
    timers.add(timer)
  }

  function resolveBehaviour(rec: RecordedRequest): Behaviour {
    const spec = byPath.get(rec.pathname) ?? defaultBehaviour
    if (spec === undefined) return {}
    return (typeof spec === 'function' ? spec(rec) : spec) ?? {}
  }

  function answer(res: ServerResponse, b: Behaviour): void {
    if (b.drop) {
      res.socket?.destroy()
      return
    }
    if (b.hang && b.hangBeforeHeaders) return
    // 204 and 304 carry no body (a Content-Length on them confuses clients).
    const bodiless = b.status === 204 || b.status === 304
    const body = bodiless ? Buffer.alloc(0) : b.body === undefined ? Buffer.from('ok') : Buffer.isBuffer(b.body) ? b.body : Buffer.from(b.body)
    const headers: Record<string, string | number> = { 'content-type': 'text/plain', ...b.headers }
    if (b.hang) {
      res.writeHead(b.status ?? 200, headers)
      res.flushHeaders()
      if (body.length > 0) res.write(body)
      return
    }
    if (b.trickleMs !== undefined) {
      headers['content-length'] = body.length
      res.writeHead(b.status ?? 200, headers)
      res.flushHeaders()
      let i = 0
      const step = (): void => {
        if (res.destroyed) return
        if (i >= body.length) {
          res.end()
          return
        }
        res.write(body.subarray(i, i + 1))
        i++
        later(b.trickleMs ?? 0, step)
      }
      step()
      return
    }
    res.writeHead(b.status ?? 200, bodiless ? headers : { ...headers, 'content-length': body.length })
    res.end(bodiless ? undefined : body)
  }

  const connectionOf = new WeakMap<Socket, Connection>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const startedAt = now()
    const connection = connectionOf.get(req.socket) ?? { id: -1 }
    inFlight++
    if (inFlight > maxInFlight) maxInFlight = inFlight
    let done = false
    let rec: RecordedRequest | undefined
    const finish = (): void => {
      if (done) return
      done = true
      inFlight--
      if (rec) rec.finishedAt = now()
    }
    res.on('finish', finish)
    res.on('close', finish)

    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = req.url ?? '/'
      const q = path.indexOf('?')
      const pathname = q === -1 ? path : path.slice(0, q)
      const pathIndex = pathCounts.get(pathname) ?? 0
      pathCounts.set(pathname, pathIndex + 1)
      rec = {
        index: index++,
        pathIndex,
        method: req.method ?? 'GET',
        path,
        pathname,
        url: `${base}${path}`,
        headers: req.headers,
        body: Buffer.concat(chunks),
        startedAt,
        receivedAt: now(),
        connection,
      }
      requests.push(rec)
      if (done) rec.finishedAt = rec.receivedAt
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (requests.length >= waiters[i].n) {
          waiters[i].resolve()
          waiters.splice(i, 1)
        }
      }
      const b = resolveBehaviour(rec)
      if (b.delayMs !== undefined && b.delayMs > 0) later(b.delayMs, () => answer(res, b))
      else answer(res, b)
    })
  })
  server.on('connection', (s: Socket) => {
    const connection: Connection = { id: connections++ }
    connectionOf.set(s, connection)
    sockets.add(s)
    s.on('close', () => {
      connection.closedAt = now()
      sockets.delete(s)
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

  return {
    url: base,
    port,
    host,
    requests,
    get inFlight() {
      return inFlight
    },
    get maxInFlight() {
      return maxInFlight
    },
    get connections() {
      return connections
    },
    waitFor(n: number, timeoutMs = 5000): Promise<RecordedRequest[]> {
      if (requests.length >= n) return Promise.resolve(requests)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiters.indexOf(waiter)
          if (i !== -1) waiters.splice(i, 1)
          reject(new Error(`endpoint: ${requests.length} of ${n} requests after ${timeoutMs} ms`))
        }, timeoutMs)
        const waiter = {
          n,
          resolve: () => {
            clearTimeout(timer)
            resolve(requests)
          },
        }
        waiters.push(waiter)
      })
    },
    setBehaviour(b: BehaviourSpec | undefined, path?: string): void {
      if (path === undefined) defaultBehaviour = b
      else if (b === undefined) byPath.delete(path)
      else byPath.set(path, b)
    },
    reset(): void {
      requests.length = 0
      pathCounts.clear()
      index = 0
      maxInFlight = inFlight
      connections = sockets.size
    },
    close(): Promise<void> {
      if (closed) return Promise.resolve()
      closed = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
        server.closeAllConnections()
      })
    },
  }
}
