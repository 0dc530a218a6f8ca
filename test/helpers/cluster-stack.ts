// Several daemons as one system (DESIGN "Several daemons"): a three-node NATS cluster, the KV
// profile store (replicas 3), and daemons as real child processes, each with its own status
// port, all connected to every node. Profiles reach them by `profiles push`.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'nats'
import { DaemonProcess, readyz, startedDaemon } from '../chaos/lib'
import { mergeSettings, runCli } from './daemon-fixture'
import { freePort, startCluster, type NatsServer } from './nats-server'

export interface ClusterDaemon {
  process: DaemonProcess
  statusPort: number
  url: string
}

export interface ClusterStack {
  dir: string
  nodes: NatsServer[]
  servers: string[]
  profilesDir: string
  /** Settings of the CLI (and of every daemon but the status port). */
  configFile: string
  /** Starts one more daemon and waits until it is ready. */
  addDaemon(): Promise<ClusterDaemon>
  /** Starts n more daemons together and waits until all are ready. */
  addDaemons(n: number): Promise<ClusterDaemon[]>
  daemons: ClusterDaemon[]
  writeProfile(p: Record<string, unknown>, file?: string): Promise<void>
  /** `callback-router --config <configFile> <args>`. */
  cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>
  /** Each daemon's /readyz document. */
  readyDocs(): Promise<Array<{ ready?: boolean; profilesRevision?: number } | undefined>>
  /** A daemon's /metrics value of a metric without labels. */
  metric(d: ClusterDaemon, name: string): Promise<number | undefined>
  close(): Promise<void>
}

export async function createClusterStack(o: { settings?: Record<string, unknown>; nodes?: NatsServer[] } = {}): Promise<ClusterStack> {
  const nodes = o.nodes ?? (await startCluster(3))
  const servers = nodes.map((n) => n.url)
  await jetStreamReady(servers)
  const dir = await mkdtemp(join(tmpdir(), 'cr-cluster-'))
  const profilesDir = join(dir, 'profiles')
  await mkdir(profilesDir)
  const base = mergeSettings(
    {
      nats: { servers, subjectPrefix: 'callbacks', duplicateWindowSeconds: 600, replicas: 3 },
      profilesDir: './profiles',
      profileStore: 'kv',
      delivery: { concurrency: 32, defaultTimeoutMs: 3000, defaultRateLimit: { perSecond: 1000, maxConcurrent: 64 }, shutdownGraceSeconds: 5 },
      network: { allow: ['127.0.0.0/8', '::1'] },
      status: { enabled: false },
      log: { level: 'warn' },
    },
    o.settings ?? {},
  )
  const configFile = join(dir, 'callback-router.json')
  await writeFile(configFile, JSON.stringify(base, null, 2))
  const daemons: ClusterDaemon[] = []
  const stack: ClusterStack = {
    dir,
    nodes,
    servers,
    profilesDir,
    configFile,
    daemons,
    async addDaemon() {
      return (await stack.addDaemons(1))[0]
    },
    async addDaemons(n) {
      // Ports and files first, one after the other (two free-port probes could return the same port), then start them together.
      const added: ClusterDaemon[] = []
      const used = new Set(daemons.map((d) => d.statusPort))
      while (added.length < n) {
        const statusPort = await freePort()
        if (used.has(statusPort)) continue
        used.add(statusPort)
        const file = join(dir, `daemon-${daemons.length + 1}.json`)
        await writeFile(file, JSON.stringify(mergeSettings(base, { status: { enabled: true, host: '127.0.0.1', port: statusPort } }), null, 2))
        const d: ClusterDaemon = { process: new DaemonProcess(file, statusPort), statusPort, url: `http://127.0.0.1:${statusPort}` }
        daemons.push(d)
        added.push(d)
      }
      // The first daemon creates the replicated streams and buckets; the others then find them
      // (several creating the same R3 stream at once make each other time out).
      const first = daemons.length === added.length ? added.shift() : undefined
      if (first) await startedDaemon(first.process)
      await Promise.all(added.map((d) => startedDaemon(d.process)))
      if (first) added.unshift(first)
      return added
    },
    writeProfile: (p, file) => writeFile(join(profilesDir, file ?? `${String(p.id)}.json`), JSON.stringify(p, null, 2)),
    cli: (...args) => runCli(['--config', configFile, ...args]),
    readyDocs: () =>
      Promise.all(
        daemons.map(async (d) => {
          try {
            return (await (await fetch(`${d.url}/readyz`)).json()) as { ready?: boolean; profilesRevision?: number }
          } catch {
            return undefined
          }
        }),
      ),
    async metric(d, name) {
      try {
        const text = await (await fetch(`${d.url}/metrics`)).text()
        const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
        return m ? Number(m[1]) : undefined
      } catch {
        return undefined
      }
    },
    async close() {
      for (const d of daemons) {
        await d.process.kill9()
        await d.process.stop() // clears its memory sampler
      }
      if (!o.nodes) for (const n of nodes) await n.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
  return stack
}

/** A fresh cluster answers 503 until it has elected its meta leader. */
async function jetStreamReady(servers: string[]): Promise<void> {
  const nc = await connect({ servers })
  try {
    const deadline = Date.now() + 30_000
    for (;;) {
      try {
        await (await nc.jetstreamManager()).getAccountInfo()
        return
      } catch (e) {
        if (Date.now() > deadline) throw e
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    }
  } finally {
    await nc.close()
  }
}

export { readyz }
