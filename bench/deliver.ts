// Micro-benchmark of one delivery's CPU in this process: render → rate limiter → HTTP
// exchange (undici, keep-alive) → the delivery counter, 64 in flight, against the bench's
// endpoint in its own process (so its CPU is not counted). With `--baseline <dist>` it is a
// same-process A/B: the same loop on another build's modules (e.g. a worktree of an older
// commit, built), rounds alternated, so both see the same machine load.
//   node dist/bench/deliver.js [--baseline /tmp/old/dist] [--n 20000] [--rounds 5]
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Endpoint } from './measure'

interface Build {
  label: string
  dist: string
}

const { values } = parseArgs({ options: { baseline: { type: 'string' }, n: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' } } })
const N = Number(values.n)
const ROUNDS = Number(values.rounds)
const CONCURRENCY = 64
const here: Build = { label: 'this build', dist: join(__dirname, '..') }
const builds: Build[] = values.baseline ? [{ label: 'baseline', dist: values.baseline }, here] : [here]

const plugin = {
  name: 'sms',
  title: 'SMS',
  retry: { maxRetries: 3, intervalSeconds: 10, backoff: 'fixed' },
  events: { 'sms-send': { description: 'd', payloadSchema: {}, variables: [] } },
}
const event = { id: 'evt_01J9Z', account: 'acme', data: { id: 'msg-1', to: '+919876543210', status: 'DELIVERED', ref: 'r1', error: { code: 'E0' } } }

/* eslint-disable @typescript-eslint/no-require-imports */
function loop(build: Build, url: string): () => Promise<{ cpuUs: number; wallMs: number }> {
  const { createDeliverer } = require(join(build.dist, 'core', 'delivery', 'deliver.js'))
  const { createDispatcher } = require(join(build.dist, 'core', 'delivery', 'dispatcher.js'))
  const { compileProfile } = require(join(build.dist, 'core', 'render', 'compile.js'))
  const { PluginRegistry } = require(join(build.dist, 'core', 'plugin', 'registry.js'))
  const { createMetrics } = require(join(build.dist, 'core', 'daemon', 'metrics.js'))
  const registry = new PluginRegistry([plugin])
  const profile = {
    id: 'json',
    title: 'Bench json',
    account: 'acme',
    channel: 'sms',
    endpoint: `${url}/json`,
    body: { id: '<id>', to: '<to>', status: '<status>', detail: { code: '<error.code>' }, ref: '<ref>' },
    headers: { 'X-Api-Key': 'bench-key' },
    rateLimit: { perSecond: 100_000, maxConcurrent: CONCURRENCY },
  }
  const compiled = compileProfile(profile, registry, { defaultTimeoutMs: 5000 })
  const deliverer = createDeliverer({ dispatcher: createDispatcher({ allow: ['127.0.0.0/8'] }), maxResponseBytes: 1024 })
  const metrics = createMetrics(registry, { defaultMetrics: false })
  const ctx = { event: 'sms-send', channel: 'sms' }
  return async () => {
    let next = 0
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const worker = async (): Promise<void> => {
      while (next < N) {
        next++
        const r = await deliverer.attempt(compiled, event, ctx)
        if (!r.ok) throw new Error(`attempt failed: ${r.error}`)
        metrics.countDelivery('sms', 'sms-send', r.outcome)
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    const cpu = process.cpuUsage(cpu0)
    return { cpuUs: (cpu.user + cpu.system) / N, wallMs: performance.now() - t0 }
  }
}

async function main(): Promise<void> {
  const ep = await Endpoint.start()
  try {
    const runs = builds.map((b) => ({ build: b, run: loop(b, ep.url), cpu: [] as number[] }))
    for (const r of runs) await r.run() // warm-up: JIT, sockets
    for (let i = 0; i < ROUNDS; i++) {
      for (const r of i % 2 === 0 ? runs : [...runs].reverse()) r.cpu.push((await r.run()).cpuUs)
    }
    console.log(`CPU µs per delivery (${N} deliveries, ${CONCURRENCY} in flight, ${ROUNDS} rounds alternated):`)
    for (const r of runs) {
      const sorted = [...r.cpu].sort((a, b) => a - b)
      console.log(`  ${r.build.label.padEnd(11)} median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)}  min ${sorted[0].toFixed(1)}  all ${r.cpu.map((x) => x.toFixed(1)).join(' ')}`)
    }
  } finally {
    ep.close()
  }
}

void main()
