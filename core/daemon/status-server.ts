// The status server: /healthz (the process answers), /readyz (NATS connected, streams
// ready, config loaded) and Prometheus /metrics. Other parts (the web console) mount
// their handlers under a path prefix; everything else is a 404.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

export interface Readiness {
  ready: boolean
  checks: Record<string, boolean>
  /** The KV profile store's revision this daemon has applied (absent with the files store). */
  profilesRevision?: number
}

export interface StatusSource {
  ready(): Readiness
  metrics: Registry
}

export type MountHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

export interface StatusServer {
  /** Where a local client reaches it (a wildcard listen address becomes loopback). */
  url: string
  port: number
  close(): Promise<void>
  /** Serves every request whose path is `prefix` or below it (`/console`, `/console/…`). */
  mount(prefix: string, handler: MountHandler): void
}

export interface StatusServerOptions {
  host: string
  /** 0 picks a free port. */
  port: number
}

export async function startStatusServer(source: StatusSource, options: StatusServerOptions): Promise<StatusServer> {
  const mounts: Array<{ prefix: string; handler: MountHandler }> = []

  const server = createServer((req, res) => {
    handle(source, mounts, req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'internal', message: (e as Error).message })
      else res.destroy()
    })
  })
  // Probes and scrapers open short connections; never let a stuck one hold shutdown.
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://${clientHost(options.host)}:${port}`,
    port,
    mount(prefix, handler) {
      const clean = '/' + prefix.replace(/^\/+|\/+$/g, '')
      mounts.push({ prefix: clean, handler })
      // Longest prefix first, so /console/api can be mounted beside /console.
      mounts.sort((a, b) => b.prefix.length - a.prefix.length)
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}

async function handle(source: StatusSource, mounts: Array<{ prefix: string; handler: MountHandler }>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = pathOf(req.url)

  for (const m of mounts) {
    if (path === m.prefix || path.startsWith(m.prefix + '/')) {
      await m.handler(req, res)
      return
    }
  }

  if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') {
    sendJson(res, 404, { error: 'not_found', path })
    return
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD')
    sendJson(res, 405, { error: 'method_not_allowed', method: req.method })
    return
  }

  if (path === '/healthz') {
    sendJson(res, 200, { status: 'ok' })
  } else if (path === '/readyz') {
    let readiness: Readiness
    try {
      readiness = source.ready()
    } catch (e) {
      sendJson(res, 503, { ready: false, checks: {}, failing: [], error: (e as Error).message })
      return
    }
    const failing = Object.entries(readiness.checks)
      .filter(([, ok]) => !ok)
      .map(([name]) => name)
    const ready = readiness.ready && failing.length === 0
    sendJson(res, ready ? 200 : 503, { ready, checks: readiness.checks, failing, ...(readiness.profilesRevision !== undefined ? { profilesRevision: readiness.profilesRevision } : {}) })
  } else {
    const text = await source.metrics.metrics()
    send(res, 200, source.metrics.contentType, text)
  }
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/'
  const q = raw.indexOf('?')
  return q === -1 ? raw : raw.slice(0, q)
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body) + '\n')
}

function send(res: ServerResponse, status: number, contentType: string, text: string): void {
  const body = Buffer.from(text)
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
  })
  // HEAD gets the headers only; node drops the body for HEAD, end() without it is explicit.
  if (res.req.method === 'HEAD') res.end()
  else res.end(body)
}

function clientHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}
