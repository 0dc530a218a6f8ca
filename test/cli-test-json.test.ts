// `test --json`: DESIGN's shape { ok, request, response, error, latencyMs } for scripts,
// through the real delivery path against a real endpoint, every secret shown as its
// `${env:NAME}` reference or `***`, never as its value.
import t from 'tap'
import { rm } from 'node:fs/promises'
import type { TestReport } from '../core/cli/test-report'
import { startEndpoint, type Endpoint } from './helpers/endpoint'
import { runInProcess, securedSmsProfile, settingsDir } from './helpers/cli-in-process'

const SECRETS = {
  JSON_API_KEY: 'key-json-9f8e7d6c5b4a',
  JSON_PASSWORD: 'pw-json-0a1b2c3d4e',
  JSON_WHSEC: `whsec_${Buffer.from('fedcba9876543210fedcba9876543210').toString('base64')}`,
  JSON_QUERY_TOKEN: 'qtok-json-55aa66bb',
}

const run = runInProcess

let ep: Endpoint
let dir: string
let settings: string

t.before(async () => {
  Object.assign(process.env, SECRETS)
  ep = await startEndpoint()
  const made = await settingsDir('cli-test-json-', { network: { allow: ['127.0.0.1'] }, delivery: { defaultTimeoutMs: 3000 } }, [
    securedSmsProfile(ep.url, 'JSON'),
    { id: 'acme-broken', title: 'ACME broken', account: 'acme', channel: 'sms', endpoint: `${ep.url}/broken` },
    { id: 'acme-down', title: 'ACME down', account: 'acme', channel: 'sms', endpoint: 'http://127.0.0.1:9/cb' },
  ])
  dir = made.dir
  settings = made.settings
})

t.teardown(async () => {
  await ep.close()
  await rm(dir, { recursive: true, force: true })
})

t.beforeEach(() => ep.reset())

t.test('test --json prints { ok, request, response, error, latencyMs } with secrets as their references', async (t) => {
  ep.setBehaviour({ status: 200, headers: { 'x-receiver': 'r1', 'x-echo': SECRETS.JSON_API_KEY }, body: `thanks ${SECRETS.JSON_API_KEY}` })
  const r = await run(['--config', settings, 'test', 'acme-sms', '--json'])
  t.equal(r.code, 0, r.stderr)
  const doc = JSON.parse(r.stdout) as TestReport
  t.same(Object.keys(doc).sort(), ['error', 'latencyMs', 'ok', 'request', 'response'])
  t.equal(doc.ok, true)
  t.equal(doc.error, null)
  t.type(doc.latencyMs, 'number')
  t.ok(doc.latencyMs >= 0)
  t.same(Object.keys(doc.request!).sort(), ['body', 'headers', 'method', 'url'])
  t.equal(doc.request!.method, 'POST')
  t.equal(doc.request!.url, `${ep.url}/cb?token=\${env:JSON_QUERY_TOKEN}`, 'the query secret as its reference, as the profile writes it')
  t.equal(doc.request!.headers['x-api-key'], '${env:JSON_API_KEY}')
  t.equal(doc.request!.headers['x-plain'], 'visible')
  t.equal(doc.request!.headers.authorization, 'Basic ***')
  t.equal(doc.request!.headers['webhook-signature'], 'v1,***')
  t.match(doc.request!.headers['webhook-id'], /:acme-sms$/)
  t.type(doc.request!.body, 'string')
  t.match(JSON.parse(doc.request!.body!), { _event: { profile: 'acme-sms' } })
  t.same(Object.keys(doc.response!).sort(), ['body', 'headers', 'status'])
  t.equal(doc.response!.status, 200)
  t.equal(doc.response!.headers['x-receiver'], 'r1', "the receiver's headers")
  t.equal(doc.response!.headers['x-echo'], '${env:JSON_API_KEY}', 'an echoed secret as its reference')
  t.equal(doc.response!.body, 'thanks ${env:JSON_API_KEY}')
  for (const secret of Object.values(SECRETS)) t.notMatch(r.stdout + r.stderr, secret, 'no secret printed')
  t.notMatch(r.stdout, Buffer.from(`acme:${SECRETS.JSON_PASSWORD}`).toString('base64'))
  const [req] = await ep.waitFor(1)
  t.equal(req.headers['x-api-key'], SECRETS.JSON_API_KEY, 'the real request carries the real value')
})

t.test('test --json on a failing receiver: ok false, the response and the error, exit 1', async (t) => {
  ep.setBehaviour({ status: 500, body: 'receiver exploded' }, '/broken')
  const r = await run(['--config', settings, 'test', 'acme-broken', '--json'])
  t.equal(r.code, 1)
  const doc = JSON.parse(r.stdout) as TestReport
  t.equal(doc.ok, false)
  t.equal(doc.error, 'status 500')
  t.equal(doc.response!.status, 500)
  t.equal(doc.response!.body, 'receiver exploded')
  t.equal(doc.request!.url, `${ep.url}/broken`)
})

t.test('test --json with no answer: response null, the reason in error, exit 1', async (t) => {
  const r = await run(['--config', settings, 'test', 'acme-down', '--json'])
  t.equal(r.code, 1)
  const doc = JSON.parse(r.stdout) as TestReport
  t.equal(doc.ok, false)
  t.equal(doc.response, null)
  t.type(doc.error, 'string')
  t.not(doc.error, '')
  t.equal(doc.request!.method, 'POST')
})
