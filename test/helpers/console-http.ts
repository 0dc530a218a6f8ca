// Raw HTTP for the console's hardening tests: node:http rather than fetch, so a test can
// pick the local address a request comes from (127.0.0.2 is another client to the
// console's failure gate) and send paths exactly as written (malformed %-escapes).
import { request } from 'node:http'

export interface RawAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  /** performance.now() when the answer was complete. */
  at: number
}

export interface RawRequest {
  method?: string
  path: string
  headers?: Record<string, string>
  body?: string
  localAddress?: string
}

export function raw(base: string, r: RawRequest): Promise<RawAnswer> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: r.method ?? 'GET', path: r.path, headers: r.headers, localAddress: r.localAddress, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), at: performance.now() }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(r.body)
  })
}

/** The `code` of a JSON error answer, or undefined. */
export function codeOf(a: RawAnswer): string | undefined {
  try {
    return (JSON.parse(a.body) as { code?: string }).code
  } catch {
    return undefined
  }
}
