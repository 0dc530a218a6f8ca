// The peer P's store: a redis-server the benchmark starts itself, on a free loopback port
// (never 6379, so a developer's own Redis is never touched), in a temp folder, without
// persistence (--save '' --appendonly no: the queue lives in memory, as BullMQ's users
// usually run it; JetStream's file store is the harder job, so this favours the peer).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../test/helpers/nats-server'

export function redisServerBinary(): string {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/local/bin', '/usr/sbin'])) {
    const p = join(dir, 'redis-server')
    if (dir && existsSync(p)) return p
  }
  throw new Error('redis-server not found: scripts/setup.sh --test installs it (apt-get install -y redis-server)')
}

/** Answers true once the server replies +PONG to a PING. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.setTimeout(1000)
    s.once('connect', () => s.write('PING\r\n'))
    s.once('data', (d) => {
      s.destroy()
      resolve(d.toString('latin1').startsWith('+PONG'))
    })
    s.once('error', () => resolve(false))
    s.once('timeout', () => {
      s.destroy()
      resolve(false)
    })
  })
}

export class RedisServer {
  private constructor(private readonly proc: ChildProcess, readonly port: number, private readonly dir: string) {}

  static async start(): Promise<RedisServer> {
    let port = await freePort()
    while (port === 6379) port = await freePort()
    const dir = await mkdtemp(join(tmpdir(), 'cr-bench-redis-'))
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning']
    const proc = spawn(redisServerBinary(), args, { stdio: ['ignore', 'ignore', 'inherit'] })
    const server = new RedisServer(proc, port, dir)
    const deadline = Date.now() + 20_000
    while (!(await pong(port))) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited at start with ${proc.exitCode}`)
      if (Date.now() > deadline) {
        await server.close()
        throw new Error('redis-server did not answer PING within 20 s')
      }
      await new Promise((r) => setTimeout(r, 50))
    }
    return server
  }

  get pid(): number | undefined {
    return this.proc.pid
  }

  async close(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const gone = new Promise<void>((r) => this.proc.once('exit', () => r()))
      this.proc.kill('SIGTERM')
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 10_000)
      await gone
      clearTimeout(t)
    }
    await rm(this.dir, { recursive: true, force: true })
  }
}
