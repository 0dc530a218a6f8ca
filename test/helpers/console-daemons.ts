// Consoles on daemons without a browser: one real nats-server, daemons started in this
// process (by default with `profileStore: "kv"`, the profiles seeded into the bucket
// CALLBACK_PROFILES; with `store: "files"` written to profilesDir), each with its own status
// server and console mounted (as `start` does), and an API client per console.
import type { KV } from 'nats'
import type { Daemon } from '../../core/daemon/start'
import { startStatusServer } from '../../core/daemon/status-server'
import { mountConsole } from '../../core/console/mount'
import { openProfileBucket } from '../../core/jetstream/profile-bucket'
import { createFixture, type Fixture } from './daemon-fixture'

export interface DaemonConsole {
  daemon: Daemon
  /** The status server's origin; the console is under /console. */
  base: string
  /** `fetch` of the console API with the token as Bearer. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>
}

export interface DaemonConsoles {
  fx: Fixture
  kv: KV
  consoles: DaemonConsole[]
}

/** `daemons` daemons on one nats-server, the store holding `profiles` before they start. */
export async function startDaemonConsoles(t: { teardown(fn: () => unknown): void }, o: { token: string; daemons: number; profiles: Array<Record<string, unknown>>; assetsDir?: string; store?: 'kv' | 'files' }): Promise<DaemonConsoles> {
  const files = o.store === 'files'
  const fx = await createFixture({ settings: { profileStore: files ? 'files' : 'kv', console: { enabled: true } }, profiles: files ? o.profiles : [] })
  t.teardown(() => fx.close())
  const kv = await openProfileBucket(fx.js, 1)
  if (!files) for (const p of o.profiles) await kv.put(String(p.id), new TextEncoder().encode(JSON.stringify(p, null, 2)))
  const env = { ...process.env, CALLBACK_ROUTER_CONSOLE_TOKEN: o.token }
  const consoles: DaemonConsole[] = []
  for (let i = 0; i < o.daemons; i++) {
    const daemon = await fx.start()
    const status = await startStatusServer(daemon, { host: '127.0.0.1', port: 0 })
    t.teardown(() => status.close())
    const mounted = mountConsole(status, daemon, { env, assetsDir: o.assetsDir })
    t.teardown(() => mounted.close())
    const api: DaemonConsole['api'] = async (method, path, body) => {
      const res = await fetch(`${status.url}/console/api${path}`, {
        method,
        headers: { authorization: `Bearer ${o.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      return { status: res.status, body: (await res.json()) as Record<string, unknown> }
    }
    consoles.push({ daemon, base: status.url, api })
  }
  return { fx, kv, consoles }
}
