import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Webhook } from 'standardwebhooks'
import { describeCallback, startDemoReceiver } from '../core/cli/demo-server'
import { answers } from '../core/daemon/embedded-nats'
import { freePort } from './helpers/nats-server'

const root = join(__dirname, '..')
const WHSEC = 'whsec_ZGVtby13ZWJob29rLXNpZ25pbmctc2VjcmV0IQ=='

t.test('the demo receiver answers 200 and prints method, path, webhook headers and body', async (t) => {
  const out: string[] = []
  const receiver = await startDemoReceiver({ port: 0, write: (s) => out.push(s) })
  t.teardown(() => receiver.close())
  const res = await fetch(`${receiver.url}/callbacks/sms?ref=r-1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': 'evt_1:acme-sms-dlr', 'x-api-key': 'demo-api-key', cookie: 'not=shown' },
    body: '{"id":"m1","status":"DELIVERED"}',
  })
  t.equal(res.status, 200)
  t.equal(receiver.received, 1)
  const text = out.join('')
  t.match(text, /^\S+Z callback POST \/callbacks\/sms\?ref=r-1 -> 200\n/)
  t.match(text, /\n {2}content-type: application\/json\n/)
  t.match(text, /\n {2}webhook-id: evt_1:acme-sms-dlr\n/)
  t.match(text, /\n {2}x-api-key: demo-api-key\n/)
  t.notMatch(text, /cookie/, 'only the headers of interest')
  t.match(text, /\n {2}body: \{"id":"m1","status":"DELIVERED"\}\n$/)
})

t.test('the demo receiver can answer another status, to watch retries', async (t) => {
  const receiver = await startDemoReceiver({ port: 0, status: 503, write: () => {} })
  t.teardown(() => receiver.close())
  t.equal((await fetch(`${receiver.url}/x`)).status, 503)
})

t.test('with a secret, the demo receiver says whether the Standard Webhooks signature is valid', async (t) => {
  const out: string[] = []
  const receiver = await startDemoReceiver({ port: 0, secret: WHSEC, write: (s) => out.push(s) })
  t.teardown(() => receiver.close())
  const body = '{"id":"m1"}'
  const id = 'evt_2:acme-sms-dlr'
  const now = new Date()
  const signature = new Webhook(WHSEC).sign(id, now, body)
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signature }
  await fetch(`${receiver.url}/ok`, { method: 'POST', headers, body })
  await fetch(`${receiver.url}/tampered`, { method: 'POST', headers, body: '{"id":"m2"}' })
  await fetch(`${receiver.url}/unsigned`)
  const [ok, tampered, unsigned] = out
  t.match(ok, /\n {2}signature: valid\n/)
  t.match(tampered, /\n {2}signature: INVALID/)
  t.match(unsigned, /\n {2}signature: none/)
})

t.test('multi-line bodies are indented, binary bodies shown as base64, long ones cut', async (t) => {
  const form = describeCallback({ method: 'POST', url: '/f', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n') })
  t.match(form, /\n {2}body:\n {4}--b\n {4}Content-Disposition: form-data; name="a"\n {4}\n {4}1\n {4}--b--\n$/)
  const binary = describeCallback({ method: 'POST', url: '/b', headers: {}, body: Buffer.from([0, 1, 2, 255]) })
  t.match(binary, /\n {2}body \(base64\): AAEC\/w==\n$/)
  const long = describeCallback({ method: 'POST', url: '/l', headers: {}, body: Buffer.alloc(10000, 'a') })
  t.match(long, /… \(10000 bytes\)\n$/)
  const get = describeCallback({ method: 'GET', url: '/g?x=1', headers: {}, body: Buffer.alloc(0) })
  t.equal(get, 'callback GET /g?x=1\n')
})

t.test('scripts/demo.sh --once: receiver, daemon with embedded NATS, one published event, the callback arrives, all stopped', async (t) => {
  const { env, ports, dir } = await demoCopy(t)
  const [natsPort, statusPort, receiverPort] = [ports.nats, ports.status, ports.receiver]
  const run = await runScript(['scripts/demo.sh', '--once'], env, 200_000)
  t.equal(run.code, 0, `exit code\n${run.stdout}\n${run.stderr}`)
  t.match(run.stdout, /starting the daemon with --embedded-nats/)
  t.match(run.stdout, /ready: \{"ready":true/)
  t.match(run.stdout, /published evt_\w+ on callbacks\.sms\.sms-send/)
  // Both acme SMS profiles: the GET one with the query string, the signed JSON one.
  t.match(run.stdout, /callback GET \/callbacks\/sms\?id=[^\n]*&status=/)
  t.match(run.stdout, /callback POST \/callbacks\/sms\?ref=/)
  t.match(run.stdout, /webhook-id: evt_\w+:acme-sms-dlr\n/)
  t.match(run.stdout, /signature: valid/)
  t.match(run.stdout, /callback delivered; stopping \(--once\)/)

  t.equal(await answers('127.0.0.1', natsPort, 500), false, 'the embedded nats-server was stopped')
  t.equal(await answers('127.0.0.1', statusPort, 500), false, 'the daemon was stopped')
  t.equal(await answers('127.0.0.1', receiverPort, 500), false, 'the receiver was stopped')
  t.ok((await readdir(join(dir, '.data', 'nats'))).includes('jetstream'), 'the embedded store sits in the copy (../.data/nats from config/)')
})

t.test('scripts/demo.sh without --once keeps the daemon running until Ctrl-C, which stops everything it started', async (t) => {
  const { env, ports } = await demoCopy(t)
  const child = spawn('bash', ['scripts/demo.sh'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stdout += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL')
  })
  const deadline = Date.now() + 150_000
  while (!stdout.includes('Ctrl-C stops everything') && child.exitCode === null && Date.now() < deadline) await sleep(200)
  t.match(stdout, /callback POST \/callbacks\/sms\?ref=/, 'the callback arrived')

  // More events are delivered while it runs.
  const more = await runScript(['-c', `${env.CALLBACK_ROUTER_CLI} publish whatsapp message_status --account acme`], env, 60_000)
  t.equal(more.code, 0, more.stderr)
  while (!stdout.includes('callback POST /callbacks/whatsapp/status') && Date.now() < deadline) await sleep(200)
  t.match(stdout, /callback POST \/callbacks\/whatsapp\/status/)
  t.equal(await answers('127.0.0.1', ports.status, 500), true, 'the daemon still runs')

  // Ctrl-C: SIGINT to the whole foreground process group.
  process.kill(-child.pid!, 'SIGINT')
  t.equal(await exited, 130)
  t.equal(await answers('127.0.0.1', ports.nats, 500), false, 'the embedded nats-server was stopped')
  t.equal(await answers('127.0.0.1', ports.status, 500), false, 'the daemon was stopped')
  t.equal(await answers('127.0.0.1', ports.receiver, 500), false, 'the receiver was stopped')
})

t.test('scripts/demo.sh refuses unknown arguments with exit 2', async (t) => {
  const run = await runScript(['scripts/demo.sh', '--bogus'], process.env, 20_000)
  t.equal(run.code, 2)
  t.match(run.stderr, /usage: scripts\/demo\.sh \[--once\]/)
})

/** A copy of the shipped config/ on free ports, so the demo never touches 4222, 8787 or 8788. */
async function demoCopy(t: Test): Promise<{ env: NodeJS.ProcessEnv; ports: { nats: number; status: number; receiver: number }; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'cr-demo-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const [nats, status, receiver] = await distinctFreePorts(3)
  const configDir = join(dir, 'config')
  await cp(join(root, 'config'), configDir, { recursive: true })
  const settingsFile = join(configDir, 'callback-router.json')
  const settings = JSON.parse(await readFile(settingsFile, 'utf8'))
  settings.status = { ...settings.status, port: status }
  await writeFile(settingsFile, JSON.stringify(settings, null, 2))
  for (const name of await readdir(join(configDir, 'profiles'))) {
    const file = join(configDir, 'profiles', name)
    await writeFile(file, (await readFile(file, 'utf8')).replaceAll('127.0.0.1:8788', `127.0.0.1:${receiver}`))
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: `nats://127.0.0.1:${nats}`,
    CALLBACK_ROUTER_CONFIG: settingsFile,
    DEMO_RECEIVER_PORT: String(receiver),
    // From the sources, so the test does not depend on a fresh dist/.
    CALLBACK_ROUTER_CLI: `${process.execPath} --import tsx core/cli.ts`,
    DEMO_TIMEOUT_SECONDS: '120',
  }
  return { env, ports: { nats, status, receiver }, dir }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>()
  while (ports.size < n) ports.add(await freePort())
  return [...ports]
}

function runScript(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    // SIGTERM lets the script's trap stop what it started.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      // eslint-disable-next-line no-control-regex
      resolve({ code, stdout: stdout.replace(/\u001b\[[0-9;]*m/g, ''), stderr })
    })
  })
}
