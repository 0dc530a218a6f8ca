// C's process: callback-router (`node dist/core/cli.js --config <tmp> start`), its config
// and the benchmark's profiles. Two config files share one profiles folder and differ only
// in the status port, so two daemons can run side by side on the same NATS (scale-out).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { freePort } from '../test/helpers/nats-server'
import { sleep } from './measure'

const JS_TARGET = join(__dirname, '..', 'core', 'cli.js')
const READY_MS = 120_000

export const VARIANTS = ['json', 'get', 'urlencoded', 'encrypted', 'fanout'] as const
export type Variant = (typeof VARIANTS)[number]

export interface DaemonSetup {
  dir: string
  /** One config per daemon that may run at once (same profiles, own status port). */
  configs: Array<{ file: string; statusPort: number }>
}

function jsonProfile(id: string, account: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    title: `Benchmark ${id}`,
    account,
    channel: 'sms',
    events: ['sms-send'],
    method: 'POST',
    endpoint: `${url}/${id}`,
    format: 'json',
    body: { id: '<id>', to: '<to>', status: '<status>', detail: { code: '<error.code>' }, ref: '<ref>' },
    headers: { 'X-Api-Key': 'bench-key' },
    retry: { count: 2, intervalSeconds: 10, timeoutMs: 5000 },
    ...extra,
  }
}

function benchProfiles(url: string, rateLimit: Record<string, number>, deadUrl: string): Array<Record<string, unknown>> {
  const rl = { rateLimit }
  return [
    jsonProfile('json', 'bench-json', url, rl),
    { ...jsonProfile('get', 'bench-get', url, rl), method: 'GET', endpoint: `${url}/get?id=<id>&to=<to>&status=<status>&code=<error.code>&ref=<ref>`, body: undefined, format: undefined },
    { ...jsonProfile('urlencoded', 'bench-urlencoded', url, rl), format: 'urlencoded', body: { id: '<id>', to: '<to>', status: '<status>', code: '<error.code>', ref: '<ref>' } },
    jsonProfile('encrypted', 'bench-encrypted', url, { ...rl, encryption: { algorithm: 'aes-256-gcm', key: 'k'.repeat(32), iv: 'random', parameters: ['id', 'to'] } }),
    jsonProfile('fanout-1', 'bench-fanout', url, rl),
    jsonProfile('fanout-2', 'bench-fanout', url, rl),
    jsonProfile('fanout-3', 'bench-fanout', url, rl),
    // The backlog run's dead endpoint: nothing listens there; one retry an hour later.
    jsonProfile('dead', 'bench-dead', deadUrl, { ...rl, retry: { count: 3, intervalSeconds: 3600, timeoutMs: 5000 } }),
  ]
}

export async function writeDaemonSetup(natsUrl: string, url: string, deadUrl: string, concurrency: number, daemons = 2): Promise<DaemonSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'cr-bench-'))
  await mkdir(join(dir, 'profiles'))
  const configs: DaemonSetup['configs'] = []
  for (let i = 0; i < daemons; i++) {
    const statusPort = await freePort()
    const file = join(dir, `callback-router-${i + 1}.json`)
    await writeFile(
      file,
      JSON.stringify({
        nats: { servers: [natsUrl], subjectPrefix: 'callbacks', duplicateWindowSeconds: 120 },
        profilesDir: './profiles',
        delivery: { concurrency, defaultTimeoutMs: 5000, shutdownGraceSeconds: 10 },
        network: { allow: ['127.0.0.0/8'] },
        status: { enabled: true, host: '127.0.0.1', port: statusPort },
        log: { level: 'info' },
      }),
    )
    configs.push({ file, statusPort })
  }
  for (const p of benchProfiles(url, { perSecond: 100_000, maxConcurrent: concurrency }, deadUrl)) {
    await writeFile(join(dir, 'profiles', `${String(p.id)}.json`), JSON.stringify(p))
  }
  return { dir, configs }
}

/**
 * Spawns daemon number `which` (0 or 1); `waitReady` tells when it serves. `dist` runs another
 * build's daemon (bench --compare) with the same config.
 */
export function spawnDaemon(setup: DaemonSetup, cpuProf: string | undefined, which = 0, dist?: string): ChildProcess {
  const args = [...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : []), dist ? join(dist, 'core', 'cli.js') : JS_TARGET, '--config', setup.configs[which].file, 'start']
  // stdout (pino's JSON lines, info level as in production) goes nowhere; errors show.
  return spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] })
}

/**
 * Waits for the daemon's /readyz (kills it if it does not come in time). Generous: at a load
 * average of 30 on two cores a daemon start was seen to take over 30 s.
 */
export async function waitReady(setup: DaemonSetup, proc: ChildProcess, which = 0): Promise<void> {
  const agent = new Agent()
  const deadline = Date.now() + READY_MS
  try {
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`the daemon exited at start with ${proc.exitCode}`)
      try {
        const r = await request(`http://127.0.0.1:${setup.configs[which].statusPort}/readyz`, { dispatcher: agent })
        await r.body.dump()
        if (r.statusCode === 200) return
      } catch {
        // not listening yet
      }
      await sleep(50)
    }
  } finally {
    await agent.close()
  }
  proc.kill('SIGKILL')
  throw new Error(`the daemon did not become ready within ${READY_MS / 1000} s`)
}

export async function startDaemonProcess(setup: DaemonSetup, cpuProf: string | undefined, which = 0): Promise<ChildProcess> {
  const proc = spawnDaemon(setup, cpuProf, which)
  await waitReady(setup, proc, which)
  return proc
}
