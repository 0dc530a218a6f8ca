// `callback-router start` with console.enabled: it refuses to run without
// CALLBACK_ROUTER_CONSOLE_TOKEN, and with it serves the console under /console.
import t from 'tap'
import { createFixture, spawnCli, runCli } from './helpers/daemon-fixture'

// Each step waits on a condition; the file's deadline is far for a loaded machine.
t.setTimeout(600_000)

const settings = { status: { enabled: true, host: '127.0.0.1', port: 0 }, console: { enabled: true }, log: { level: 'info' } }

t.test('start refuses to run the console without CALLBACK_ROUTER_CONSOLE_TOKEN', async (t) => {
  const fx = await createFixture({ settings })
  t.teardown(() => fx.close())
  const r = await runCli(['--config', fx.configFile, 'start'], { CALLBACK_ROUTER_CONSOLE_TOKEN: '' })
  t.equal(r.code, 1)
  t.match(r.stderr, /CALLBACK_ROUTER_CONSOLE_TOKEN is not set/)
})

t.test('start serves the console under /console behind the token', async (t) => {
  const fx = await createFixture({ settings })
  t.teardown(() => fx.close())
  const token = 'start-test-token-42-0f9e8d7c'
  const cli = spawnCli(['--config', fx.configFile, 'start'], { CALLBACK_ROUTER_CONSOLE_TOKEN: token })
  t.teardown(async () => {
    cli.proc.kill('SIGTERM')
    await cli.exited
  })
  // Until the log says where, however long a loaded machine takes to start the daemon.
  let url: string | undefined
  for (const deadline = Date.now() + 180_000; !url && Date.now() < deadline; ) {
    const m = /"url":"(http:\/\/[^"]+)\/console\/"/.exec(cli.stdout())
    url = m?.[1]
    if (!url) await new Promise((r) => setTimeout(r, 100))
  }
  t.ok(url, `the log says where the console is\n${cli.stdout()}\n${cli.stderr()}`)
  t.equal((await fetch(`${url}/console/api/profiles`)).status, 401)
  const ok = await fetch(`${url}/console/api/meta`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(ok.status, 200)
  t.ok(((await ok.json()) as { channels: unknown[] }).channels.length >= 5)
  const page = await fetch(`${url}/console/`, { redirect: 'manual' })
  t.equal(page.headers.get('location'), '/console/login')
})
