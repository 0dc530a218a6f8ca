// A daemon under test: a temporary settings file and profiles folder, a real nats-server,
// startDaemon in this process (or `callback-router start` as a child process), and a
// NATS client to publish events and read the streams.
import { mkdtemp, rm, writeFile, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection, type PubAck } from 'nats'
import { startDaemon, type Daemon } from '../../core/daemon/start'
import { createLogger } from '../../core/logger'
import { NatsServer } from './nats-server'
import { cliArgs } from './cli'

export interface FixtureOptions {
  nats?: NatsServer
  /** Merged over the test settings. */
  settings?: Record<string, unknown>
  profiles?: Array<Record<string, unknown>>
  logLevel?: string
}

export interface Fixture {
  dir: string
  profilesDir: string
  configFile: string
  nats: NatsServer
  nc: NatsConnection
  js: JetStreamClient
  jsm: JetStreamManager
  writeProfile(p: Record<string, unknown>): Promise<void>
  removeProfile(id: string): Promise<void>
  /** Publishes an envelope (or raw bytes) on callbacks.<channel>.<event>, msg id = envelope id. */
  publish(channel: string, event: string, envelope: Record<string, unknown> | Uint8Array | string, msgId?: string): Promise<PubAck>
  /** Starts a daemon in this process. */
  start(): Promise<Daemon>
  close(): Promise<void>
}

export function profile(id: string, endpoint: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, title: `Test profile ${id}`, account: 'acme', channel: 'sms', endpoint, ...fields }
}

/** Deep merge of settings objects: `b` wins, nested objects merge, arrays are replaced. */
export function mergeSettings(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a }
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k]
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur) ? mergeSettings(cur as Record<string, unknown>, v as Record<string, unknown>) : v
  }
  return out
}

export async function createFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const nats = options.nats ?? (await NatsServer.start())
  const dir = await mkdtemp(join(tmpdir(), 'cr-daemon-'))
  const profilesDir = join(dir, 'profiles')
  await (await import('node:fs/promises')).mkdir(profilesDir)
  const configFile = join(dir, 'callback-router.json')
  const settings = mergeSettings(
    {
      nats: { servers: [nats.url], subjectPrefix: 'callbacks', duplicateWindowSeconds: 120 },
      profilesDir: './profiles',
      // No breaker unless a test asks for one (per profile, or in its settings): the tests of
      // retries, faults and isolation see every attempt, as before endpoint health existed.
      delivery: { concurrency: 32, defaultTimeoutMs: 3000, defaultRateLimit: { perSecond: 1000, maxConcurrent: 64 }, shutdownGraceSeconds: 10, health: { breakerFailures: 0 } },
      network: { allow: ['127.0.0.0/8', '::1'] },
      status: { enabled: false },
      log: { level: options.logLevel ?? 'silent' },
    },
    options.settings ?? {},
  )
  await writeFile(configFile, JSON.stringify(settings, null, 2))
  const writeProfile = (p: Record<string, unknown>): Promise<void> => writeFile(join(profilesDir, `${String(p.id)}.json`), JSON.stringify(p, null, 2))
  for (const p of options.profiles ?? []) await writeProfile(p)
  const nc = await connect({ servers: nats.url })
  const js = nc.jetstream()
  const jsm = await nc.jetstreamManager()
  const daemons: Daemon[] = []
  return {
    dir,
    profilesDir,
    configFile,
    nats,
    nc,
    js,
    jsm,
    writeProfile,
    removeProfile: (id) => unlink(join(profilesDir, `${id}.json`)),
    publish(channel, event, envelope, msgId) {
      const data = envelope instanceof Uint8Array ? envelope : Buffer.from(typeof envelope === 'string' ? envelope : JSON.stringify(envelope))
      const id = msgId ?? (typeof envelope === 'object' && !(envelope instanceof Uint8Array) ? String(envelope.id) : undefined)
      return js.publish(`callbacks.${channel}.${event}`, data, id ? { msgID: id } : {})
    },
    async start() {
      const d = await startDaemon({ configFile, logger: createLogger(options.logLevel ?? 'silent') })
      daemons.push(d)
      return d
    },
    async close() {
      for (const d of daemons) await d.stop().catch(() => undefined)
      await nc.close().catch(() => undefined)
      if (!options.nats) await nats.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** `callback-router <args>` as a child process (through tsx), with its output collected. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): { proc: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [...cliArgs(), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  return { proc, stdout: () => out, stderr: () => err, exited }
}

/** Runs a CLI command to its end. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = spawnCli(args, env)
  const code = await r.exited
  return { code, stdout: r.stdout(), stderr: r.stderr() }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `fn` until it returns a truthy value, or fails after timeoutMs. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v as T
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(everyMs)
  }
}
