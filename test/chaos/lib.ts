// The chaos harness: daemons as real child processes (kill -9 means kill -9), real
// nats-servers, recording endpoints that remember what they answered, a publisher that
// keeps trying until NATS stores the event, and the books: every expected delivery is
// found at the endpoint (a 2xx answer under its webhook-id) or in CALLBACK_DEAD, or it is
// lost. No tap here: the runner (dist/test/chaos/run.js) and the tap tests share it.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats'
import { H } from '../../core/jetstream/jobs'
import { STREAMS } from '../../core/jetstream/streams'
import { readStream } from '../../core/jetstream/stream-read'
import { now, startEndpoint, type Behaviour, type Endpoint, type EndpointOptions, type RecordedRequest } from '../helpers/endpoint'
import { freePort, NatsServer } from '../helpers/nats-server'
import { mergeSettings as merge } from '../helpers/daemon-fixture'
import { cliArgs, ROOT } from '../helpers/cli'

export { now }

/** The project's root, from test/chaos or dist/test/chaos. */
export { ROOT }

export interface Check {
  name: string
  ok: boolean
  detail?: string
}

export interface ScenarioResult {
  scenario: string
  /** Events published (stored by NATS). */
  events: number
  /** Expected outcomes: one per (event, profile) pair, or one per event that routing must refuse. */
  units: number
  /** Units with at least one 2xx answer at their endpoint. */
  delivered: number
  /** 2xx answers beyond the first per webhook-id. */
  duplicates: number
  /** Dead letters by reason (only those that belong to this scenario's units). */
  dead: Record<string, number>
  /** Units neither delivered nor dead-lettered. */
  lost: number
  /** Highest VmHWM (peak RSS) of the daemon processes, in KiB. */
  maxRssKb: number
  seconds: number
  checks: Check[]
  /** Figures worth printing (throughputs, kill counts, readiness transitions). */
  notes: string[]
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

export async function until<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs: number, everyMs = 100): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) return undefined
    await sleep(everyMs)
  }
}

/** A seeded PRNG (mulberry32), so a chaos run can be repeated with CHAOS_SEED. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// ── the daemon as a child process ─────────────────────────────────────────────────────

/** `node dist/core/cli.js` when dist is fresh, else `node --import tsx core/cli.ts` (test/helpers/cli.ts). */
export const cliCommand = cliArgs

/** Peak RSS (VmHWM) of a live process in KiB; 0 when it is gone. */
export function vmHwmKb(pid: number | undefined): number {
  if (!pid) return 0
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

export class DaemonProcess {
  private proc?: ChildProcess
  private exitedP?: Promise<number | null>
  private sampler?: NodeJS.Timeout
  /** Everything the processes wrote, stdout and stderr, across restarts. */
  output = ''
  maxRssKb = 0
  starts = 0
  /** Unexpected exits (not by kill9() or stop()). */
  crashes: Array<{ code: number | null; signal: string | null }> = []
  private expectingExit = false

  constructor(readonly configFile: string, readonly statusPort: number | undefined, readonly args: string[] = [], readonly env: NodeJS.ProcessEnv = {}) {}

  get pid(): number | undefined {
    return this.proc?.pid
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null
  }

  start(): void {
    const proc = spawn(process.execPath, [...cliCommand(), 'start', '--config', this.configFile, ...this.args], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.proc = proc
    this.starts++
    this.expectingExit = false
    const keep = (d: Buffer): void => {
      if (this.output.length < 64 * 1024 * 1024) this.output += d.toString()
    }
    proc.stdout!.on('data', keep)
    proc.stderr!.on('data', keep)
    this.exitedP = new Promise((resolveExit) =>
      proc.once('exit', (code, signal) => {
        if (!this.expectingExit) this.crashes.push({ code, signal })
        resolveExit(code)
      }),
    )
    clearInterval(this.sampler)
    this.sampler = setInterval(() => this.sample(), 250)
  }

  private sample(): void {
    this.maxRssKb = Math.max(this.maxRssKb, vmHwmKb(this.proc?.pid))
  }

  /** Waits until the current process answers /readyz with 200 (NATS connected, consumers pulling). */
  async started(timeoutMs = 30_000): Promise<boolean> {
    if (!this.statusPort) throw new Error('no status port')
    const ok = await until(async () => this.running && (await readyz(this.statusPort!)) === true, timeoutMs, 50)
    return !!ok
  }

  async kill9(): Promise<void> {
    if (!this.running) return
    this.sample()
    this.expectingExit = true
    this.proc!.kill('SIGKILL')
    await this.exitedP
  }

  /** SIGTERM and wait (up to timeoutMs, then SIGKILL). */
  async stop(timeoutMs = 20_000): Promise<void> {
    clearInterval(this.sampler)
    if (!this.running) return
    this.sample()
    this.expectingExit = true
    this.proc!.kill('SIGTERM')
    const t = setTimeout(() => this.proc?.kill('SIGKILL'), timeoutMs)
    await this.exitedP
    clearTimeout(t)
  }
}

// ── settings and profiles on disk ────────────────────────────────────────────────────

export interface StackOptions {
  servers: string[]
  settings?: Record<string, unknown>
  profiles: Array<Record<string, unknown>>
  logLevel?: string
}

export interface Stack {
  dir: string
  configFile: string
  statusPort: number
  writeProfile(p: Record<string, unknown>): Promise<void>
  daemon(opts?: { args?: string[]; env?: NodeJS.ProcessEnv }): DaemonProcess
  close(): Promise<void>
}


export async function createStack(o: StackOptions): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'cr-chaos-'))
  const profilesDir = join(dir, 'profiles')
  await mkdir(profilesDir)
  const statusPort = await freePort()
  const settings = merge(
    {
      nats: { servers: o.servers, subjectPrefix: 'callbacks', duplicateWindowSeconds: 600 },
      profilesDir: './profiles',
      // No breaker unless a test asks for one (per profile, or in its settings): the tests of
      // retries, faults and isolation see every attempt, as before endpoint health existed.
      delivery: { concurrency: 32, defaultTimeoutMs: 3000, defaultRateLimit: { perSecond: 5000, maxConcurrent: 64 }, shutdownGraceSeconds: 5, health: { breakerFailures: 0 } },
      network: { allow: ['127.0.0.0/8', '::1'] },
      status: { enabled: true, host: '127.0.0.1', port: statusPort },
      log: { level: o.logLevel ?? 'warn' },
    },
    o.settings ?? {},
  )
  const configFile = join(dir, 'callback-router.json')
  await writeFile(configFile, JSON.stringify(settings, null, 2))
  const writeProfile = (p: Record<string, unknown>): Promise<void> => writeFile(join(profilesDir, `${String(p.id)}.json`), JSON.stringify(p, null, 2))
  for (const p of o.profiles) await writeProfile(p)
  const daemons: DaemonProcess[] = []
  return {
    dir,
    configFile,
    statusPort,
    writeProfile,
    daemon(opts = {}) {
      const d = new DaemonProcess(configFile, statusPort, opts.args, opts.env)
      daemons.push(d)
      return d
    },
    async close() {
      for (const d of daemons) {
        await d.kill9()
        await d.stop() // clears its memory sampler, which would keep the process alive
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export function smsProfile(id: string, account: string, endpoint: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, title: `Chaos ${id}`, account, channel: 'sms', endpoint, ...fields }
}

export function smsData(i: number): Record<string, unknown> {
  return { id: `msg-${i}`, to: '+919876543210', status: 'Delivered', ref: `r${i}` }
}

// ── the endpoint's books ─────────────────────────────────────────────────────────────

export interface Answer {
  webhookId: string
  status: number
  /** true when the endpoint sent a complete 2xx answer. */
  ok: boolean
  at: number
  req: RecordedRequest
}

/** A recording endpoint whose behaviour is chosen per request, remembering each answer. */
export interface Books {
  ep: Endpoint
  answers: Answer[]
  byId(): Map<string, Answer[]>
  close(): Promise<void>
}

/** A behaviour, and `failed: true` when the daemon will not see it as an answer (it answers after the attempt's timeout). */
export type Decision = Behaviour & { failed?: boolean }

export async function booksEndpoint(decide: (req: RecordedRequest, webhookId: string) => Decision = () => ({}), options: EndpointOptions = {}): Promise<Books> {
  const answers: Answer[] = []
  const ep = await startEndpoint({
    ...options,
    behaviour: (req) => {
      const id = String(req.headers['webhook-id'] ?? '')
      const b = decide(req, id)
      const status = b.status ?? 200
      answers.push({ webhookId: id, status, ok: status >= 200 && status < 300 && !b.drop && !b.hang && !b.failed, at: req.receivedAt, req })
      return b
    },
  })
  return {
    ep,
    answers,
    byId() {
      const m = new Map<string, Answer[]>()
      for (const a of answers) {
        let l = m.get(a.webhookId)
        if (!l) m.set(a.webhookId, (l = []))
        l.push(a)
      }
      return m
    },
    close: () => ep.close(),
  }
}

// ── publishing ────────────────────────────────────────────────────────────────────────

export async function natsClient(servers: string[]): Promise<{ nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager }> {
  const nc = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 200, waitOnFirstConnect: true })
  // No API check at connect: a fresh cluster answers JetStream requests only once it has a meta leader.
  return { nc, js: nc.jetstream(), jsm: await nc.jetstreamManager({ checkAPI: false }) }
}

/** Starts the daemon process and waits until it answers /readyz; its output tells why when it does not. */
export async function startedDaemon(d: DaemonProcess): Promise<void> {
  d.start()
  if (!(await d.started())) throw new Error(`daemon did not start:\n${d.output.slice(-3000)}`)
}

/** Waits until the daemon has created CALLBACK_EVENTS (it does so at start). */
export async function streamsReady(jsm: JetStreamManager, timeoutMs = 30_000): Promise<boolean> {
  return !!(await until(async () => {
    try {
      await jsm.streams.info(STREAMS.events)
      await jsm.consumers.info(STREAMS.events, 'events')
      return true
    } catch {
      return false
    }
  }, timeoutMs, 100))
}

/** What most scenarios run on: one nats-server, one recording endpoint, one daemon process. */
export interface Rig {
  nats: NatsServer
  books: Books
  stack: Stack
  client: { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager }
  d: DaemonProcess
}

/** Starts a rig (the daemon ready, its streams there), runs `run` on it, and tears it all down. */
export async function withRig<T>(o: { decide?: (req: RecordedRequest, webhookId: string) => Decision; settings?: Record<string, unknown>; profiles: (url: string) => Array<Record<string, unknown>> }, run: (r: Rig) => Promise<T>): Promise<T> {
  const nats = await NatsServer.start()
  const books = await booksEndpoint(o.decide)
  const stack = await createStack({ servers: [nats.url], settings: o.settings, profiles: o.profiles(books.ep.url) })
  const client = await natsClient([nats.url])
  const d = stack.daemon()
  try {
    await startedDaemon(d)
    await streamsReady(client.jsm)
    return await run({ nats, books, stack, client, d })
  } finally {
    await stack.close()
    await client.nc.close()
    await books.close()
    await nats.close()
  }
}

export interface Outgoing {
  subject: string
  data: Uint8Array | string
  msgId?: string
}

/**
 * Publishes, retrying each message until NATS stores it (what an upstream system does):
 * a publish whose ack was lost comes back as a duplicate of the same msg id. Returns how
 * many were stored (and how many were refused as duplicates of an earlier message).
 */
export async function publishAll(js: JetStreamClient, msgs: Outgoing[], o: { ratePerSecond?: number; concurrency?: number; onProgress?: (n: number) => void } = {}): Promise<{ stored: number; duplicates: number; retries: number }> {
  let next = 0
  let stored = 0
  let duplicates = 0
  let retries = 0
  const started = Date.now()
  const concurrency = o.concurrency ?? 16
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++
      if (i >= msgs.length) return
      if (o.ratePerSecond) {
        const due = started + (i * 1000) / o.ratePerSecond
        if (due > Date.now()) await sleep(due - Date.now())
      }
      const m = msgs[i]
      const data = typeof m.data === 'string' ? Buffer.from(m.data) : m.data
      for (let tries = 0; ; tries++) {
        try {
          const ack = await js.publish(m.subject, data, m.msgId ? { msgID: m.msgId, timeout: 2000 } : { timeout: 2000 })
          // A retry of a stored message reports duplicate: still stored once.
          if (ack.duplicate && tries === 0) duplicates++
          else stored++
          break
        } catch {
          retries++
          await sleep(200)
        }
      }
      o.onProgress?.(stored)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => worker()))
  return { stored, duplicates, retries }
}

export function envelopeMsg(channel: string, event: string, env: Record<string, unknown>): Outgoing {
  return { subject: `callbacks.${channel}.${event}`, data: JSON.stringify(env), msgId: String(env.id) }
}

// ── dead letters ─────────────────────────────────────────────────────────────────────

export interface DeadRecord {
  seq: number
  reason: string
  detail: string
  eventId: string | null
  profile: string | null
  attempts: number
  data: Uint8Array
}

export async function readDead(js: JetStreamClient, jsm: JetStreamManager): Promise<DeadRecord[]> {
  const msgs = await readStream(js, jsm, STREAMS.dead)
  return msgs.map((m) => ({
    seq: m.seq,
    reason: m.headers?.get(H.reason) || 'unknown',
    detail: m.headers?.get(H.detail) || '',
    eventId: m.headers?.get(H.eventId) || null,
    profile: m.headers?.get(H.profile) || null,
    attempts: Number(m.headers?.get(H.attemptCount) || 0),
    data: m.data,
  }))
}

// ── the ledger ───────────────────────────────────────────────────────────────────────

/** One expected outcome: a delivery of `eventId` to `profile`, or (profile null) a refusal of the event. */
export interface Unit {
  eventId: string
  profile: string | null
  /** The dead-letter reason this unit must end with, when it must not be delivered. */
  expectDead?: string
}

export interface Ledger {
  delivered: number
  duplicates: number
  dead: Record<string, number>
  lost: Unit[]
  /** Units that ended otherwise than expected (delivered though expectDead, wrong reason). */
  wrong: Array<{ unit: Unit; got: string }>
  /** webhook-ids answered 2xx more than once, with the times of those answers. */
  duplicateIds: Map<string, number[]>
}

export function ledger(units: Unit[], answers: Answer[], dead: DeadRecord[]): Ledger {
  const okBy = new Map<string, number[]>()
  for (const a of answers) {
    if (!a.ok) continue
    let l = okBy.get(a.webhookId)
    if (!l) okBy.set(a.webhookId, (l = []))
    l.push(a.at)
  }
  const deadBy = new Map<string, DeadRecord[]>()
  for (const d of dead) {
    if (!d.eventId) continue
    let l = deadBy.get(d.eventId)
    if (!l) deadBy.set(d.eventId, (l = []))
    l.push(d)
  }
  const out: Ledger = { delivered: 0, duplicates: 0, dead: {}, lost: [], wrong: [], duplicateIds: new Map() }
  for (const u of units) {
    const ok = u.profile ? okBy.get(`${u.eventId}:${u.profile}`) : undefined
    const dls = (deadBy.get(u.eventId) ?? []).filter((d) => u.profile === null || d.profile === u.profile)
    if (ok && ok.length) {
      out.delivered++
      if (ok.length > 1) {
        out.duplicates += ok.length - 1
        out.duplicateIds.set(`${u.eventId}:${u.profile}`, ok)
      }
      if (u.expectDead) out.wrong.push({ unit: u, got: 'delivered' })
    } else if (dls.length) {
      const reason = dls[0].reason
      out.dead[reason] = (out.dead[reason] ?? 0) + 1
      if (u.expectDead && u.expectDead !== reason) out.wrong.push({ unit: u, got: reason })
      if (!u.expectDead) out.wrong.push({ unit: u, got: `dead letter ${reason}: ${dls[0].detail}` })
    } else {
      out.lost.push(u)
    }
  }
  return out
}

/** Polls the books until every unit is accounted for (or timeoutMs), then lets late duplicates land. */
export async function settle(units: Unit[], books: Books[], js: JetStreamClient, jsm: JetStreamManager, timeoutMs: number, quietMs = 1000): Promise<{ ledger: Ledger; dead: DeadRecord[] }> {
  const all = (): Answer[] => books.flatMap((b) => b.answers)
  let dead: DeadRecord[] = []
  const deadline = Date.now() + timeoutMs
  let l: Ledger
  for (;;) {
    dead = await readDead(js, jsm).catch(() => dead)
    l = ledger(units, all(), dead)
    if (l.lost.length === 0 || Date.now() > deadline) break
    await sleep(l.lost.length > 50 ? 500 : 200)
  }
  await sleep(quietMs)
  dead = await readDead(js, jsm).catch(() => dead)
  return { ledger: ledger(units, all(), dead), dead }
}

export function summarize(scenario: string, events: number, units: Unit[], l: Ledger, maxRssKb: number, startedAt: number, checks: Check[], notes: string[]): ScenarioResult {
  checks.unshift({ name: 'lost = 0 (every unit delivered or dead-lettered)', ok: l.lost.length === 0, detail: l.lost.slice(0, 5).map((u) => `${u.eventId}:${u.profile}`).join(', ') })
  checks.push({ name: 'every unit ended as expected (delivered, or dead-lettered with its reason)', ok: l.wrong.length === 0, detail: l.wrong.slice(0, 5).map((w) => `${w.unit.eventId}:${w.unit.profile} expected ${w.unit.expectDead ?? 'delivery'}, got ${w.got}`).join('; ') })
  return { scenario, events, units: units.length, delivered: l.delivered, duplicates: l.duplicates, dead: l.dead, lost: l.lost.length, maxRssKb, seconds: (Date.now() - startedAt) / 1000, checks, notes }
}

/** GET /readyz: true, false, or undefined when nothing answers. */
export async function readyz(port: number): Promise<boolean | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) })
    await r.arrayBuffer()
    return r.status === 200
  } catch {
    return undefined
  }
}

/** One series of a daemon's /metrics: the first line of `name` with each of `labels` (`key="value"`); undefined when none or nothing answers. */
export async function metricValue(port: number, name: string, labels: string[] = []): Promise<number | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })
    const line = (await r.text()).split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && labels.every((x) => l.includes(x)))
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined
  } catch {
    return undefined
  }
}
