// The console as an attacker meets it (issue 14, items 8 and 9): short tokens stop it,
// wrong tokens are slow on every route however many connections guess at once, the
// session cookie expires, malformed %-escapes are a 400, and a dead letter nested too deep
// to serialize is shown instead of crashing the console or `dead-letters show`.
import t from 'tap'
import { createFixture, runCli, type Fixture } from './helpers/daemon-fixture'
import { startStatusServer } from '../core/daemon/status-server'
import { mountConsole } from '../core/console/mount'
import { consoleToken, sessionValue, COOKIE_NAME, SESSION_SECONDS } from '../core/console/auth'
import { FAILURE_DELAY_MS, MAX_WAITING } from '../core/console/throttle'
import { writeDeadLetter } from '../core/jetstream/dead-letters'
import { raw, codeOf } from './helpers/console-http'

const TOKEN = 'hardening-token-6c1f0e9d8b7a'

// Each step waits on a condition; CLI runs and 200 guesses take long on a loaded machine.
t.setTimeout(600_000)
const bearer = { authorization: `Bearer ${TOKEN}` }

async function stack(t: { teardown(fn: () => unknown): void }): Promise<{ base: string; fx: Fixture }> {
  const fx = await createFixture({ settings: { console: { enabled: true } } })
  t.teardown(() => fx.close())
  const daemon = await fx.start()
  const status = await startStatusServer(daemon, { host: '127.0.0.1', port: 0 })
  t.teardown(() => status.close())
  const mounted = mountConsole(status, daemon, { env: { ...process.env, CALLBACK_ROUTER_CONSOLE_TOKEN: TOKEN } })
  t.teardown(() => mounted.close())
  return { base: status.url, fx }
}

t.test('a missing or short console token stops the console from starting, with its code', async (t) => {
  for (const bad of [undefined, '', '   ']) t.throws(() => consoleToken({ CALLBACK_ROUTER_CONSOLE_TOKEN: bad }), { code: 'CONSOLE_TOKEN_MISSING' }, JSON.stringify(bad))
  for (const bad of ['x', 'secret', 'a'.repeat(23), ' '.repeat(5) + 'b'.repeat(18)]) t.throws(() => consoleToken({ CALLBACK_ROUTER_CONSOLE_TOKEN: bad }), { code: 'CONSOLE_TOKEN_SHORT' }, `${bad.length} characters`)
  t.equal(consoleToken({ CALLBACK_ROUTER_CONSOLE_TOKEN: 'a'.repeat(24) }), 'a'.repeat(24))
  // And `start` refuses to run with one.
  const fx = await createFixture({ settings: { status: { enabled: true, host: '127.0.0.1', port: 0 }, console: { enabled: true }, log: { level: 'info' } } })
  t.teardown(() => fx.close())
  const r = await runCli(['--config', fx.configFile, 'start'], { CALLBACK_ROUTER_CONSOLE_TOKEN: 'short-token-1' })
  t.equal(r.code, 1)
  t.match(r.stderr, /at least 24/)
  t.match(r.stdout, /CONSOLE_TOKEN_SHORT/)
})

t.test('wrong tokens are slowed down on every console route, one per address per pause', async (t) => {
  const { base } = await stack(t)
  const expired = sessionValue(TOKEN, Math.floor(Date.now() / 1000) - 1)
  // The page itself sends a wrong guess to the sign-in page (303); everything else is a 401.
  const guesses: Array<[string, string, Record<string, string>, number]> = [
    ['GET', '/console/api/profiles', { authorization: 'Bearer wrong-guess-0000000000000' }, 401],
    ['POST', '/console/api/profiles', { authorization: 'Bearer wrong', 'content-type': 'application/json' }, 401],
    ['GET', '/console/api/meta', { authorization: 'Basic d3Jvbmc6d3Jvbmc=' }, 401],
    ['GET', '/console/api/no-such-route', { authorization: 'Bearer ' }, 401],
    ['DELETE', '/console/api/profiles/x', { cookie: `${COOKIE_NAME}=forged` }, 401],
    ['GET', '/console/app.js', { cookie: `${COOKIE_NAME}=${expired}` }, 401],
    ['POST', '/console/logout', { authorization: `Bearer ${TOKEN}x` }, 401],
    ['GET', '/console/', { authorization: `bearer ${TOKEN.toUpperCase()}` }, 303],
  ]
  // One at a time, each wrong guess waits its pause (a lower bound: a busy machine only adds).
  const start = performance.now()
  for (const [method, path, headers, status] of guesses) {
    const a = await raw(base, { method, path, headers })
    t.equal(a.status, status, `${method} ${path} ${JSON.stringify(headers)}`)
  }
  t.ok(performance.now() - start >= guesses.length * FAILURE_DELAY_MS - 50, `${guesses.length} wrong guesses took ${Math.round(performance.now() - start)} ms`)

  // 200 at once (the attack that passed in 2 s before): a few are checked, the rest refused unchecked.
  const burst = performance.now()
  const answers = await Promise.all(
    Array.from({ length: 200 }, (_, i) => {
      const [method, path, headers, status] = guesses[i % guesses.length]
      return raw(base, { method, path, headers }).then((a) => ({ ...a, expected: status }))
    }),
  )
  const checked = answers.filter((a) => a.status !== 429)
  t.ok(answers.every((a) => a.status === a.expected || a.status === 429), 'each answer is its route\'s refusal, or 429')
  // At most MAX_WAITING wait at any time, one leaving per pause: a bound that a slow machine only loosens in our favour.
  const span = Math.max(...answers.map((a) => a.at)) - burst
  t.ok(checked.length <= MAX_WAITING + Math.ceil(span / FAILURE_DELAY_MS) + 1, `${checked.length} of 200 guesses were checked in ${Math.round(span)} ms`)
  t.ok(answers.filter((a) => a.status !== 429 && a.at - burst < 2000).length <= Math.ceil(2000 / FAILURE_DELAY_MS), 'at most one wrong answer per pause within 2 s')
  for (const a of answers.filter((x) => x.status === 429)) {
    t.equal(a.headers['retry-after'], '1')
    if (a.headers['content-type']?.includes('json')) t.equal(codeOf(a), 'CONSOLE_TOO_MANY_FAILURES')
  }
  // While the address is saturated, even a right token from it waits its turn: guessing
  // fast and telling answers apart gains nothing. Another client is served at once.
  const other = await raw(base, { path: '/console/api/meta', headers: bearer, localAddress: '127.0.0.2' })
  t.equal(other.status, 200, 'another address is not affected')
  // Once the queue has drained, the right token works from the guessing address too.
  let ok = 0
  for (let i = 0; i < 100 && ok !== 200; i++) {
    ok = (await raw(base, { path: '/console/api/meta', headers: bearer })).status
    if (ok !== 200) await new Promise((r) => setTimeout(r, FAILURE_DELAY_MS))
  }
  t.equal(ok, 200)
})

t.test('the sign-in page counts wrong tokens the same way', async (t) => {
  const { base } = await stack(t)
  const form = (token: string) => ({ method: 'POST', path: '/console/login', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base }, body: `token=${encodeURIComponent(token)}` })
  const burst = performance.now()
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => raw(base, form(`guess-${i}-${'z'.repeat(20)}`))))
  const span = Math.max(...answers.map((a) => a.at)) - burst
  t.ok(answers.filter((a) => a.status === 401).length <= MAX_WAITING + Math.ceil(span / FAILURE_DELAY_MS) + 1)
  t.ok(answers.filter((a) => a.status === 401 && a.at - burst < 2000).length <= Math.ceil(2000 / FAILURE_DELAY_MS))
  t.ok(answers.every((a) => a.status === 401 || a.status === 429))
  t.notOk(answers.some((a) => a.headers['set-cookie']), 'no guess got a cookie')
})

t.test('the sign-in cookie expires: Max-Age, and the server checks the expiry it signed', async (t) => {
  const { base } = await stack(t)
  const login = await raw(base, { method: 'POST', path: '/console/login', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base }, body: `token=${TOKEN}` })
  t.equal(login.status, 303)
  const cookie = String(login.headers['set-cookie'])
  t.match(cookie, new RegExp(`Max-Age=${SESSION_SECONDS}\\b`))
  t.equal(SESSION_SECONDS, 8 * 3600, 'a working day, as docs/console.md says')
  const session = cookie.split(';')[0]
  t.equal((await raw(base, { path: '/console/api/meta', headers: { cookie: session } })).status, 200)
  const now = Math.floor(Date.now() / 1000)
  const [expiresAt, mac] = session.slice(COOKIE_NAME.length + 1).split('.')
  t.ok(Number(expiresAt) >= now + SESSION_SECONDS - 60 && Number(expiresAt) <= now + SESSION_SECONDS + 60)
  const refused = {
    expired: sessionValue(TOKEN, now - 1),
    'expiry moved later, old signature': `${now + 10 * SESSION_SECONDS}.${mac}`,
    'signed with another token': sessionValue('another-token-of-enough-length', now + 3600),
    'the v1 cookie (no expiry)': mac,
    'the token itself': TOKEN,
    empty: '.',
  }
  for (const [what, value] of Object.entries(refused)) {
    const a = await raw(base, { path: '/console/api/meta', headers: { cookie: `${COOKIE_NAME}=${value}` } })
    t.equal(a.status, 401, what)
    t.equal(codeOf(a), 'CONSOLE_UNAUTHORIZED', what)
  }
})

t.test('a malformed %-escape in a path parameter is a 400 with its code, never a 500', async (t) => {
  const { base } = await stack(t)
  const json = { ...bearer, 'content-type': 'application/json' }
  for (const bad of ['%', '%E0%A4%A', '%zz', 'a%2', '%C3%28', '%ED%A0%80', '%FF']) {
    for (const [method, path, body] of [
      ['GET', `/console/api/profiles/${bad}`, undefined],
      ['PUT', `/console/api/profiles/${bad}`, '{"raw":{}}'],
      ['DELETE', `/console/api/profiles/${bad}`, undefined],
      ['POST', `/console/api/profiles/${bad}/enabled`, '{"enabled":false}'],
      ['GET', `/console/api/dead-letters/${bad}`, undefined],
      ['POST', `/console/api/dead-letters/${bad}/replay`, undefined],
      ['GET', `/console/api/attempts/${bad}`, undefined],
    ] as const) {
      const a = await raw(base, { method, path, headers: json, body })
      t.equal(a.status, 400, `${method} ${path}`)
      t.equal(codeOf(a), 'CONSOLE_BAD_ESCAPE', `${method} ${path}`)
    }
  }
  // A well-formed escape still finds nothing, as a 404.
  const a = await raw(base, { path: '/console/api/profiles/%F0%9F%98%80', headers: bearer })
  t.equal(a.status, 404)
  t.equal(codeOf(a), 'CONSOLE_PROFILE_NOT_FOUND')
})

t.test('a dead letter nested too deep to serialize: the console shows it, dead-letters show prints it', async (t) => {
  const { base, fx } = await stack(t)
  const depth = 100_000
  const shapes = {
    objects: '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
    arrays: '['.repeat(depth) + ']'.repeat(depth),
    'inside a valid envelope': `{"id":"evt_deep","account":"acme","data":${'{"x":'.repeat(depth)}1${'}'.repeat(depth)}}`,
  }
  for (const [what, text] of Object.entries(shapes)) {
    const ack = await writeDeadLetter(fx.js, {
      reason: 'invalid_payload',
      detail: `deep ${what}`,
      eventId: 'evt_deep',
      profile: null,
      channel: 'sms',
      event: 'sms-send',
      subject: 'callbacks.sms.sms-send',
      cycle: 1,
      attempts: [],
      data: Buffer.from(text),
      msgId: `deep-${what}`,
    })
    const id = String(ack.seq)
    const shown = await raw(base, { path: `/console/api/dead-letters/${id}`, headers: bearer })
    t.equal(shown.status, 200, `console show: ${what}`)
    const body = JSON.parse(shown.body) as { id: string; event: unknown }
    t.equal(body.id, id)
    t.equal(Buffer.from(String(body.event), 'base64').toString(), text, `${what}: the event comes back whole, as base64`)
    t.equal((await raw(base, { path: '/console/api/dead-letters', headers: bearer })).status, 200, `console list: ${what}`)
    // The CLI for one shape (each run is a process start, slow on a loaded machine).
    for (const args of what === 'objects' ? [[], ['--json']] : []) {
      const r = await runCli(['--config', fx.configFile, 'dead-letters', 'show', id, ...args])
      t.equal(r.code, 0, `dead-letters show ${args.join(' ')}: ${what}\n${r.stderr.slice(0, 500)}`)
      t.notMatch(r.stderr, /at .*\(|RangeError|Maximum call stack/, 'no stack trace')
      if (args.length) t.equal(Buffer.from(String((JSON.parse(r.stdout) as { event: unknown }).event), 'base64').toString(), text)
      else t.match(r.stdout, /event: +\(base64: not JSON, or nested deeper than \d+ levels\)/)
    }
  }
})
