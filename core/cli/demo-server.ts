// A tiny webhook receiver for trying the daemon out: the shipped example profiles point
// at http://127.0.0.1:8788. It prints every callback (method, path, the headers that
// matter, body) and answers 200, or another status to watch retries happen.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'

export const DEMO_RECEIVER_PORT = 8788

export interface DemoReceiverOptions {
  host?: string
  /** Default 8788; 0 picks a free port. */
  port?: number
  /** The status every callback gets (default 200). */
  status?: number
  /** A whsec_… secret: when given, each webhook-signature is checked and the verdict printed. */
  secret?: string
  /** Where the description of each callback goes (default stdout). */
  write?: (text: string) => void
}

export interface DemoReceiver {
  url: string
  port: number
  /** How many callbacks arrived. */
  readonly received: number
  close(): Promise<void>
}

export interface ReceivedCallback {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
}

/** Headers a webhook receiver looks at; any other `x-…` header is shown too. */
const SHOWN_HEADERS = ['content-type', 'content-length', 'user-agent', 'authorization', 'webhook-id', 'webhook-timestamp', 'webhook-signature']
const BODY_SHOWN_BYTES = 8192

export async function startDemoReceiver(options: DemoReceiverOptions = {}): Promise<DemoReceiver> {
  const host = options.host ?? '127.0.0.1'
  const status = options.status ?? 200
  const write = options.write ?? ((text: string) => process.stdout.write(text))
  let received = 0

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received++
      const callback: ReceivedCallback = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) }
      const verdict = options.secret ? verifySignature(options.secret, callback) : undefined
      write(describeCallback(callback, { at: new Date(), status, verdict }))
      const answer = JSON.stringify({ received: true }) + '\n'
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) })
      res.end(answer)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? DEMO_RECEIVER_PORT, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    get received() {
      return received
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}

/**
 * One callback as readable text: a `callback <METHOD> <path>` line, then the headers of
 * interest and the body, indented. Binary bodies are shown as base64.
 */
export function describeCallback(callback: ReceivedCallback, extra: { at?: Date; status?: number; verdict?: string } = {}): string {
  const lines: string[] = []
  const stamp = extra.at ? `${extra.at.toISOString()} ` : ''
  const answer = extra.status !== undefined ? ` -> ${extra.status}` : ''
  lines.push(`${stamp}callback ${callback.method} ${callback.url}${answer}`)
  const names = [...SHOWN_HEADERS, ...Object.keys(callback.headers).filter((n) => n.startsWith('x-')).sort()]
  for (const name of names) {
    const value = callback.headers[name]
    if (value !== undefined) lines.push(`  ${name}: ${Array.isArray(value) ? value.join(', ') : value}`)
  }
  if (extra.verdict) lines.push(`  signature: ${extra.verdict}`)
  if (callback.body.length > 0) {
    const shown = callback.body.subarray(0, BODY_SHOWN_BYTES)
    const more = callback.body.length > shown.length ? ` … (${callback.body.length} bytes)` : ''
    const text = readableText(shown)
    if (text === undefined) {
      lines.push(`  body (base64): ${shown.toString('base64')}${more}`)
    } else if (!text.includes('\n')) {
      lines.push(`  body: ${text}${more}`)
    } else {
      lines.push('  body:')
      for (const l of text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n')) lines.push(`    ${l}`)
      if (more) lines.push(`   ${more}`)
    }
  }
  return lines.join('\n') + '\n'
}

function verifySignature(secret: string, callback: ReceivedCallback): string {
  const headers: Record<string, string> = {}
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const v = callback.headers[name]
    if (typeof v === 'string') headers[name] = v
  }
  if (!headers['webhook-signature']) return 'none (the profile does not sign)'
  try {
    new Webhook(secret).verify(callback.body, headers, { jsonParse: false })
    return 'valid'
  } catch (e) {
    return `INVALID (${(e as Error).message})`
  }
}

/** UTF-8 text without control characters other than tab and line breaks, else undefined. */
function readableText(bytes: Buffer): string | undefined {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes)
  // eslint-disable-next-line no-control-regex
  if (text.includes('\uFFFD') || /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text)) return undefined
  return text
}
