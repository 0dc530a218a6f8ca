// Throughput benchmark (npm run bench; not part of npm test). In one run, against the same
// local endpoint (a separate process), it drains N pre-published events with:
//   B  a naive forwarder: JetStream pull consumer → undici POST → ack, 64 in flight
//   C  the daemon: routing, one profile (the fast path), attempt log, metrics, concurrency 64
// and prints events/s of each and C/B. The performance issue tunes the daemon against it.
// BENCH_EVENTS sets N (default 20000).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AckPolicy, connect, type JetStreamClient, type NatsConnection } from 'nats'
import { Agent, request } from 'undici'
import { NatsServer } from '../test/helpers/nats-server'
import { startDaemon } from '../core/daemon'
import { createLogger } from '../core/logger'
import { PluginRegistry } from '../core/plugin-registry'
import { sampleData } from '../core/sample-data'
import { builtins } from '../plugins'

const N = Number(process.env.BENCH_EVENTS ?? 20_000)
const CONCURRENCY = 64

async function startEndpointProcess(): Promise<{ url: string; proc: ChildProcess; count(): Promise<number> }> {
  const ts = __filename.endsWith('.ts')
  const file = join(__dirname, ts ? 'endpoint-server.ts' : 'endpoint-server.js')
  const proc = spawn(process.execPath, ts ? ['--import', 'tsx', file] : [file], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
    proc.once('exit', (code) => reject(new Error(`endpoint exited with ${code}`)))
  })
  const url = `http://127.0.0.1:${port}`
  const agent = new Agent()
  return {
    url,
    proc,
    async count() {
      const r = await request(`${url}/__count`, { dispatcher: agent })
      return Number(await r.body.text())
    },
  }
}

async function prepublish(js: JetStreamClient, subject: string, prefix: string, data: unknown): Promise<void> {
  const BATCH = 500
  for (let i = 0; i < N; i += BATCH) {
    const ps: Promise<unknown>[] = []
    for (let j = i; j < Math.min(N, i + BATCH); j++) {
      const id = `${prefix}_${j}`
      ps.push(js.publish(subject, Buffer.from(JSON.stringify({ id, account: 'bench', data })), { msgID: id }))
    }
    await Promise.all(ps)
  }
}

async function waitCount(count: () => Promise<number>, target: number): Promise<void> {
  while ((await count()) < target) await new Promise((r) => setTimeout(r, 20))
}

/** B: the plainest correct forwarder. */
async function naive(nc: NatsConnection, endpoint: string, count: () => Promise<number>): Promise<number> {
  const jsm = await nc.jetstreamManager()
  await jsm.streams.add({ name: 'BENCH_NAIVE', subjects: ['naive.>'] })
  await jsm.consumers.add('BENCH_NAIVE', { durable_name: 'naive', ack_policy: AckPolicy.Explicit, max_ack_pending: 10_000 })
  const js = nc.jetstream()
  await prepublish(js, 'naive.sms.sms-send', 'naive', sampleData(new PluginRegistry(builtins).eventSpec('sms', 'sms-send')!))
  const base = await count()
  const agent = new Agent({ connections: CONCURRENCY })
  const consumer = await js.consumers.get('BENCH_NAIVE', 'naive')
  const t0 = performance.now()
  const iter = await consumer.consume({ max_messages: CONCURRENCY * 2 })
  let inFlight = 0
  let done = 0
  let wake: (() => void) | undefined
  for await (const m of iter) {
    while (inFlight >= CONCURRENCY) await new Promise<void>((r) => (wake = r))
    inFlight++
    void request(`${endpoint}/naive`, { dispatcher: agent, method: 'POST', body: m.data, headers: { 'content-type': 'application/json' } })
      .then(async (r) => {
        await r.body.dump()
        m.ack()
      })
      .catch(() => m.nak())
      .finally(() => {
        inFlight--
        done++
        const w = wake
        wake = undefined
        w?.()
      })
    if (done + inFlight >= N) break
  }
  await waitCount(count, base + N)
  const seconds = (performance.now() - t0) / 1000
  iter.stop()
  await agent.close()
  return N / seconds
}

/** C: the daemon, one profile, fast path. */
async function daemon(nats: NatsServer, nc: NatsConnection, endpoint: string, count: () => Promise<number>): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'cr-bench-'))
  await mkdir(join(dir, 'profiles'))
  const configFile = join(dir, 'callback-router.json')
  await writeFile(configFile, JSON.stringify({
    nats: { servers: [nats.url] },
    profilesDir: './profiles',
    delivery: { concurrency: CONCURRENCY, defaultRateLimit: { perSecond: 1e6, maxConcurrent: CONCURRENCY } },
    network: { allow: ['127.0.0.0/8'] },
    status: { enabled: false },
    log: { level: 'silent' },
  }))
  await writeFile(join(dir, 'profiles', 'bench.json'), JSON.stringify({ id: 'bench', title: 'Benchmark profile', account: 'bench', channel: 'sms', endpoint: `${endpoint}/daemon`, retry: { count: 0 } }))
  // Streams first (a daemon start creates them), then the backlog, then the timed run.
  const first = await startDaemon({ configFile, logger: createLogger('silent') })
  await first.stop()
  const js = nc.jetstream()
  await prepublish(js, 'callbacks.sms.sms-send', 'daemon', sampleData(new PluginRegistry(builtins).eventSpec('sms', 'sms-send')!))
  const base = await count()
  const t0 = performance.now()
  const d = await startDaemon({ configFile, logger: createLogger('silent') })
  await waitCount(count, base + N)
  const seconds = (performance.now() - t0) / 1000
  await d.stop()
  await rm(dir, { recursive: true, force: true })
  return N / seconds
}

async function main(): Promise<void> {
  const nats = await NatsServer.start()
  const ep = await startEndpointProcess()
  const nc = await connect({ servers: nats.url })
  try {
    process.stdout.write(`benchmark: ${N} events, concurrency ${CONCURRENCY}, endpoint ${ep.url} (separate process)\n`)
    const b = await naive(nc, ep.url, ep.count)
    process.stdout.write(`B naive forwarder (pull → undici POST → ack): ${b.toFixed(0)} events/s\n`)
    const c = await daemon(nats, nc, ep.url, ep.count)
    process.stdout.write(`C callback-router daemon (fast path):        ${c.toFixed(0)} events/s\n`)
    process.stdout.write(`C/B = ${(c / b).toFixed(2)}\n`)
  } finally {
    await nc.close()
    ep.proc.kill('SIGTERM')
    await nats.close()
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`)
  process.exitCode = 1
})
