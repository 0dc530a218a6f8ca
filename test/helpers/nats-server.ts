// Starts real nats-server processes with JetStream on free loopback ports, each with
// a temporary store, so tests can stop, kill and restart them on the same store.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as connectNats, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats'

export function natsServerBinary(): string {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/local/bin', '/usr/bin'])) {
    const p = join(dir, 'nats-server')
    if (dir && existsSync(p)) return p
  }
  throw new Error('nats-server not found: apt-get install -y nats-server (see README)')
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.unref()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

export interface NatsServerOptions {
  /** Largest message the server accepts (bytes); the server's default is 1 MiB. */
  maxPayload?: number
  /** Store folder to reuse (a restart of another server's store). */
  storeDir?: string
  port?: number
  /** For clusters: this node's name, its cluster port and the other nodes' cluster ports. */
  cluster?: { name: string; serverName: string; port: number; routes: number[] }
  /** Extra lines for the config file. */
  extraConfig?: string
}

export class NatsServer {
  private proc?: ChildProcess
  private exited?: Promise<void>
  readonly url: string

  private constructor(readonly port: number, readonly storeDir: string, private readonly configFile: string, private readonly ownsStore: boolean) {
    this.url = `nats://127.0.0.1:${port}`
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const port = options.port ?? (await freePort())
    const ownsStore = !options.storeDir
    const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'cr-nats-')))
    const configFile = join(storeDir, `server-${port}.conf`)
    const lines = [`listen: 127.0.0.1:${port}`, `jetstream { store_dir: ${JSON.stringify(storeDir)} }`]
    if (options.maxPayload) lines.push(`max_payload: ${options.maxPayload}`)
    if (options.cluster) {
      const c = options.cluster
      lines.push(`server_name: ${c.serverName}`)
      lines.push(`cluster { name: ${c.name}, listen: 127.0.0.1:${c.port}, routes: [${c.routes.map((r) => `nats-route://127.0.0.1:${r}`).join(', ')}] }`)
    }
    if (options.extraConfig) lines.push(options.extraConfig)
    await writeFile(configFile, lines.join('\n') + '\n')
    const server = new NatsServer(port, storeDir, configFile, ownsStore)
    await server.startProcess()
    return server
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null
  }

  get pid(): number | undefined {
    return this.proc?.pid
  }

  private async startProcess(): Promise<void> {
    const proc = spawn(natsServerBinary(), ['-c', this.configFile], { stdio: ['ignore', 'ignore', 'pipe'] })
    this.proc = proc
    let log = ''
    proc.stderr!.on('data', (d: Buffer) => {
      if (log.length < 20000) log += d.toString()
    })
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()))
    const deadline = Date.now() + 15000
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`nats-server exited at start:\n${log}`)
      if (/Server is ready/.test(log) && (await canConnect(this.port))) return
      await sleep(25)
    }
    throw new Error(`nats-server did not become ready on ${this.port}:\n${log}`)
  }

  /** Graceful stop (SIGTERM); the store stays for restart(). */
  async stop(): Promise<void> {
    if (!this.running) return
    this.proc!.kill('SIGTERM')
    await this.exited
  }

  /** kill -9: no chance to flush. */
  async kill(): Promise<void> {
    if (!this.running) return
    this.proc!.kill('SIGKILL')
    await this.exited
  }

  /** Starts again on the same port and store. */
  async restart(): Promise<void> {
    await this.stop()
    await this.startProcess()
  }

  async start(): Promise<void> {
    if (!this.running) await this.startProcess()
  }

  /** Stops the server and removes its store. */
  async close(): Promise<void> {
    await this.kill()
    if (this.ownsStore) await rm(this.storeDir, { recursive: true, force: true })
  }
}

/** Three JetStream nodes on loopback, routed to each other. */
export async function startCluster(size = 3): Promise<NatsServer[]> {
  const clientPorts = await Promise.all(Array.from({ length: size }, () => freePort()))
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()))
  return Promise.all(
    clientPorts.map((port, i) =>
      NatsServer.start({
        port,
        cluster: { name: 'cr-test', serverName: `n${i + 1}`, port: routePorts[i], routes: routePorts.filter((_, j) => j !== i) },
      }),
    ),
  )
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** A server of its own, a connection and its JetStream handles, all closed when the test ends. */
export async function natsForTest(t: { teardown(fn: () => unknown): void }): Promise<{ nats: NatsServer; nc: NatsConnection; jsm: JetStreamManager; js: JetStreamClient }> {
  const nats = await NatsServer.start()
  const nc = await connectNats({ servers: nats.url })
  t.teardown(async () => {
    await nc.close()
    await nats.close()
  })
  return { nats, nc, jsm: await nc.jetstreamManager(), js: nc.jetstream() }
}
