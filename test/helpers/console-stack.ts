// The console's browser tests against the running daemon: a real nats-server, the daemon,
// its status server with the console mounted (as `start` does), a recording endpoint and
// a signed-in browser.
import type { Daemon } from '../../core/daemon/start'
import { startStatusServer } from '../../core/daemon/status-server'
import { mountConsole } from '../../core/console/mount'
import { createFixture, type Fixture } from './daemon-fixture'
import { startEndpoint, type Endpoint } from './endpoint'
import { buildConsoleAssets, openBrowser, signIn, type BrowserSession } from './console-browser'

export interface ConsoleStack {
  base: string
  fx: Fixture
  endpoint: Endpoint
  daemon: Daemon
  session: BrowserSession
}

/**
 * A real nats-server, the daemon with the given profiles, its status server with the
 * console mounted (as `start` does), a recording endpoint, and a signed-in browser.
 */
export async function startConsoleStack(t: { teardown(fn: () => unknown): void }, prefix: string, profiles: (endpointUrl: string) => Array<Record<string, unknown>>, token: string): Promise<ConsoleStack> {
  process.env.CALLBACK_ROUTER_CONSOLE_TOKEN = token
  const assets = buildConsoleAssets()
  t.teardown(() => assets.remove())
  const endpoint = await startEndpoint()
  t.teardown(() => endpoint.close())
  const fx = await createFixture({ settings: { console: { enabled: true } }, profiles: profiles(endpoint.url) })
  t.teardown(() => fx.close())
  const daemon = await fx.start()
  const status = await startStatusServer(daemon, { host: '127.0.0.1', port: 0 })
  t.teardown(() => status.close())
  const mounted = mountConsole(status, daemon, { assetsDir: assets.dir })
  t.teardown(() => mounted.close())
  const session = await openBrowser(status.url, prefix)
  t.teardown(() => session.close())
  await signIn(session.page, status.url, token)
  return { base: status.url, fx, endpoint, daemon, session }
}
