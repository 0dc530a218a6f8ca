// The newcomer path of `start --embedded-nats`: when nothing answers at the first
// configured NATS URL, run a local nats-server with JetStream on that host and port,
// its store in settings.nats.embedded.dataDir, and stop it when the daemon stops.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { connect } from 'node:net'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import type { Settings } from '../config/settings'
import { CallbackRouterError, formatMessage } from '../errors'

export interface EmbeddedNats {
  /** The URL the daemon should connect to (the first configured one). */
  url: string
  /** false when something already answered there, so nothing was started. */
  started: boolean
  stop(): Promise<void>
}

export interface EmbeddedNatsOptions {
  /** Folder of the settings file: dataDir is relative to it. */
  baseDir: string
  log?: (msg: string) => void
  /** How long nats-server may take to become ready (default 20 s). */
  readyTimeoutMs?: number
}

export const NATS_SERVER_MISSING = formatMessage('EMBEDDED_NATS_NOT_FOUND')

export async function ensureEmbeddedNats(settings: Settings, options: EmbeddedNatsOptions): Promise<EmbeddedNats> {
  const log = options.log ?? (() => {})
  const url = settings.nats.servers[0]
  const { host, port } = hostPort(url)

  if (await answers(host, port, 1000)) {
    log(`NATS already answers at ${url}; not starting an embedded nats-server`)
    return { url, started: false, stop: async () => {} }
  }

  const binary = findBinary(settings.nats.embedded.binary)
  const storeDir = resolve(options.baseDir, settings.nats.embedded.dataDir)
  await mkdir(storeDir, { recursive: true })

  const args = ['--jetstream', '--store_dir', storeDir, '--addr', host, '--port', String(port), '--server_name', 'callback-router-embedded']
  log(`starting embedded nats-server on ${host}:${port} (JetStream store ${storeDir})`)
  const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  const server = new Process(proc)
  // A daemon that dies without running its shutdown must not leave the server behind.
  const onExit = () => proc.kill('SIGTERM')
  process.once('exit', onExit)

  try {
    await server.ready(host, port, options.readyTimeoutMs ?? 20_000)
  } catch (e) {
    process.off('exit', onExit)
    await server.stop()
    throw e
  }
  log(`embedded nats-server ready at ${url} (pid ${proc.pid})`)

  let stopping: Promise<void> | undefined
  return {
    url,
    started: true,
    stop() {
      stopping ??= (async () => {
        process.off('exit', onExit)
        await server.stop()
        log('embedded nats-server stopped')
      })()
      return stopping
    },
  }
}

/** Host and port of a NATS URL (`nats://h:p`, `tls://h:p`, `h:p`, `h`); 4222 by default. */
export function hostPort(url: string): { host: string; port: number } {
  let parsed: URL
  try {
    parsed = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `nats://${url}`)
  } catch {
    throw new CallbackRouterError('EMBEDDED_NATS_URL', [url])
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1'
  return { host, port: parsed.port ? Number(parsed.port) : 4222 }
}

/** A bare name is searched in PATH, then the sbin folders Debian puts nats-server in. */
export function findBinary(binary: string): string {
  const candidates = binary.includes('/')
    ? [isAbsolute(binary) ? binary : resolve(binary)]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .concat(['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'])
        .map((dir) => join(dir, binary))
  for (const c of candidates) {
    try {
      if (existsSync(c) && statSync(c).isFile()) return c
    } catch {
      // unreadable folder in PATH: try the next one
    }
  }
  throw new CallbackRouterError('EMBEDDED_NATS_NOT_FOUND')
}

/** A TCP connect check: does anything listen there? */
export function answers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolvePromise(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

class Process {
  private log = ''
  private readonly exited: Promise<void>

  constructor(private readonly proc: ChildProcess) {
    proc.stderr!.on('data', (d: Buffer) => {
      // Keep the start of the log (the reason it failed) and not much more.
      if (this.log.length < 20_000) this.log += d.toString()
    })
    this.exited = new Promise((r) => proc.once('exit', () => r()))
    proc.once('error', (e) => {
      this.log += `\n${e.message}`
    })
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null && this.proc.pid !== undefined
  }

  async ready(host: string, port: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (!this.running) {
        // 'exit' may come a tick after the failure; let the log catch up.
        await Promise.race([this.exited, sleep(200)])
        throw new CallbackRouterError('EMBEDDED_NATS_FAILED', [`embedded nats-server exited at start:\n${this.log.trim()}`])
      }
      if (/Server is ready/.test(this.log) && (await answers(host, port, 500))) return
      await sleep(25)
    }
    throw new CallbackRouterError('EMBEDDED_NATS_FAILED', [`embedded nats-server did not become ready on ${host}:${port} within ${timeoutMs} ms:\n${this.log.trim()}`])
  }

  async stop(): Promise<void> {
    if (!this.running) return
    this.proc.kill('SIGTERM')
    const killed = setTimeout(() => this.proc.kill('SIGKILL'), 10_000)
    await this.exited
    clearTimeout(killed)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
