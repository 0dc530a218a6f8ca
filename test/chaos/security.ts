// What must never get through: requests to loopback and private addresses (SSRF), events
// of one tenant reaching another tenant's profile, and secrets in logs or CLI output.
// Only loopback is ever connected to; other ranges are judged by the decision function.
import { spawn } from 'node:child_process'
import { compileAllowList, classifyAddress, isAddressAllowed, resolveChecked } from '../../core/delivery/network-policy'
import { NatsServer } from '../helpers/nats-server'
import { booksEndpoint, cliCommand, createStack, envelopeMsg, natsClient, publishAll, ROOT, settle, smsData, smsProfile, startedDaemon, streamsReady, summarize, until, type Books, type Check, type Outgoing, type ScenarioResult, type Unit } from './lib'


/** `callback-router <args>` to its end: exit code and everything it printed. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...cliCommand(), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    p.stdout.on('data', (d: Buffer) => (out += d.toString()))
    p.stderr.on('data', (d: Buffer) => (out += d.toString()))
    p.on('exit', (code) => resolve({ code, out }))
  })
}

// ── SSRF ─────────────────────────────────────────────────────────────────────────────

/** Addresses judged by the decision function only: no test connects to them. */
export const NOT_LOOPBACK = ['10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '169.254.1.1', '100.64.0.1', '0.0.0.0', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1', '224.0.0.1', '255.255.255.255']

export async function ssrfScenario(): Promise<ScenarioResult> {
  const t0 = Date.now()
  const checks: Check[] = []
  // The decision function: every non-public range refused unless allow-listed.
  const none = compileAllowList([])
  const refusedByDefault = NOT_LOOPBACK.filter((ip) => !isAddressAllowed(ip, none))
  checks.push({ name: `decision function refuses ${NOT_LOOPBACK.length} private, link-local, metadata, CGNAT, unspecified, multicast addresses by default`, ok: refusedByDefault.length === NOT_LOOPBACK.length, detail: NOT_LOOPBACK.filter((ip) => isAddressAllowed(ip, none)).join(', ') })
  const allowedWhenListed = NOT_LOOPBACK.filter((ip) => isAddressAllowed(ip, compileAllowList([ip.includes(':') ? `${ip}/128` : `${ip}/32`])))
  checks.push({ name: 'decision function allows each of them once allow-listed', ok: allowedWhenListed.length === NOT_LOOPBACK.length, detail: NOT_LOOPBACK.filter((ip) => !allowedWhenListed.includes(ip)).join(', ') })
  checks.push({ name: '169.254.169.254 is classed as metadata', ok: classifyAddress('169.254.169.254') === 'metadata' || classifyAddress('169.254.169.254') === 'link-local', detail: classifyAddress('169.254.169.254') })
  let rebound = ''
  try {
    await resolveChecked('internal.example', none, async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.1.2.3', family: 4 }])
  } catch (e) {
    rebound = (e as { code?: string }).code ?? ''
  }
  checks.push({ name: 'a name resolving to a public and a private address is refused (decision function, fake resolver)', ok: rebound === 'address_refused', detail: rebound })

  const v4 = await booksEndpoint()
  const v6 = await booksEndpoint(() => ({}), { host: '::1' })
  const redirector = await booksEndpoint(() => ({ status: 302, headers: { location: `${v4.ep.url}/landed` } }), { host: '127.0.0.2' })
  const p = v4.ep.port
  const targets: Array<[string, string]> = [
    ['lo-127', `http://127.0.0.1:${p}/x`],
    ['lo-127-1', `http://127.1:${p}/x`],
    ['lo-decimal', `http://2130706433:${p}/x`],
    ['lo-hex', `http://0x7f000001:${p}/x`],
    ['lo-v6', `http://[::1]:${v6.ep.port}/x`],
    ['lo-v4mapped', `http://[::ffff:127.0.0.1]:${p}/x`],
    ['lo-localhost', `http://localhost:${p}/x`],
  ]
  const profiles = [...targets.map(([id, url]) => smsProfile(id, id, url, { retry: { count: 0, timeoutMs: 1000 } })), smsProfile('redirect', 'redirect', `${redirector.ep.url}/r`, { retry: { count: 0, timeoutMs: 1000 } })]
  const allUnits: Unit[] = []
  const books = [v4, v6, redirector]
  let rss = 0
  let events = 0
  const dead: Record<string, number> = {}
  let delivered = 0
  let lost = 0
  try {
    // Phase 1: only 127.0.0.2 (the redirector) allowed. Phase 2: loopback allowed.
    for (const phase of [1, 2] as const) {
      const nats = await NatsServer.start()
      const stack = await createStack({ servers: [nats.url], settings: { network: { allow: phase === 1 ? ['127.0.0.2/32'] : ['127.0.0.0/8', '::1'] } }, profiles })
      const client = await natsClient([nats.url])
      const d = stack.daemon()
      try {
        await startedDaemon(d)
        await streamsReady(client.jsm)
        const before = { v4: v4.answers.length, v6: v6.answers.length }
        const msgs: Outgoing[] = []
        const units: Unit[] = []
        for (const [id] of [...targets, ['redirect', '']]) {
          const eventId = `ssrf${phase}_${id.replace(/-/g, '_')}`
          msgs.push(envelopeMsg('sms', 'sms-send', { id: eventId, account: id, data: smsData(1) }))
          const expectDead = phase === 1 ? (id === 'redirect' ? 'retries_exhausted' : 'address_refused') : id === 'redirect' ? 'retries_exhausted' : undefined
          units.push({ eventId, profile: id, expectDead })
        }
        const pub = await publishAll(client.js, msgs)
        events += pub.stored
        const { ledger: l } = await settle(units, books, client.js, client.jsm, 20_000, 500)
        const reached = v4.answers.length - before.v4 + v6.answers.length - before.v6
        if (phase === 1) {
          checks.push({ name: 'loopback refused in every spelling (127.0.0.1, 127.1, 2130706433, 0x7f000001, [::1], [::ffff:127.0.0.1], localhost) and a redirect to loopback not followed: no request reached the loopback endpoints', ok: reached === 0, detail: `${reached} requests` })
          checks.push({ name: 'the redirect was answered 302 by the allowed host and not followed', ok: redirector.answers.length >= 1 && !v4.answers.some((a) => a.req.pathname === '/landed') })
        } else {
          checks.push({ name: 'allow-listed loopback: every spelling delivered (the refusals above are the policy, not a broken setup)', ok: l.delivered === targets.length, detail: `${l.delivered}/${targets.length}` })
          checks.push({ name: 'a redirect is never followed, even to an allowed address', ok: !v4.answers.some((a) => a.req.pathname === '/landed') })
        }
        for (const [k, n] of Object.entries(l.dead)) dead[k] = (dead[k] ?? 0) + n
        delivered += l.delivered
        lost += l.lost.length
        if (l.wrong.length) checks.push({ name: `phase ${phase}: every target ended as expected`, ok: false, detail: l.wrong.map((w) => `${w.unit.profile}: expected ${w.unit.expectDead ?? 'delivery'}, got ${w.got}`).join('; ') })
        allUnits.push(...units)
        await d.stop()
        rss = Math.max(rss, d.maxRssKb)
      } finally {
        await stack.close()
        await client.nc.close()
        await nats.close()
      }
    }
  } finally {
    for (const b of books) await b.close()
  }
  checks.unshift({ name: 'lost = 0', ok: lost === 0 })
  return { scenario: 'SSRF matrix', events, units: allUnits.length, delivered, duplicates: 0, dead, lost, maxRssKb: rss, seconds: (Date.now() - t0) / 1000, checks, notes: [`${NOT_LOOPBACK.length} non-loopback addresses on the decision function: ${NOT_LOOPBACK.join(' ')}`] }
}

// ── tenant isolation ─────────────────────────────────────────────────────────────────

export async function tenantScenario(o: { rounds: number }): Promise<ScenarioResult> {
  const t0 = Date.now()
  const nats = await NatsServer.start()
  const books = await booksEndpoint()
  const url = books.ep.url
  const stack = await createStack({
    servers: [nats.url],
    profiles: [smsProfile('acme-a', 'acme', `${url}/acme-a`), smsProfile('acme-b', 'acme', `${url}/acme-b`), smsProfile('globex-a', 'globex', `${url}/globex-a`), smsProfile('acme-off', 'acme', `${url}/acme-off`, { enabled: false })],
  })
  const client = await natsClient([nats.url])
  const d = stack.daemon()
  const checks: Check[] = []
  try {
    await startedDaemon(d)
    await streamsReady(client.jsm)
    const cases: Array<{ name: string; env: Record<string, unknown>; dead?: string; to?: string[] }> = [
      { name: 'acme names globex-a', env: { account: 'acme', profile: 'globex-a' }, dead: 'account_mismatch' },
      { name: 'globex names acme-a', env: { account: 'globex', profile: 'acme-a' }, dead: 'account_mismatch' },
      { name: 'ACME (case) names acme-a', env: { account: 'ACME', profile: 'acme-a' }, dead: 'account_mismatch' },
      { name: 'trailing space', env: { account: 'acme ', profile: 'acme-a' }, dead: 'account_mismatch' },
      { name: 'Cyrillic а look-alike', env: { account: 'аcme', profile: 'acme-a' }, dead: 'account_mismatch' },
      { name: 'zero-width joiner', env: { account: 'ac\u200dme', profile: 'acme-a' }, dead: 'account_mismatch' },
      { name: 'empty account', env: { account: '', profile: 'acme-a' }, dead: 'invalid_envelope' },
      { name: 'no account', env: { profile: 'acme-a' }, dead: 'invalid_envelope' },
      { name: 'numeric account', env: { account: 1, profile: 'acme-a' }, dead: 'invalid_envelope' },
      { name: 'array account', env: { account: ['acme'], profile: 'acme-a' }, dead: 'invalid_envelope' },
      { name: 'object account', env: { account: { name: 'acme' }, profile: 'acme-a' }, dead: 'invalid_envelope' },
      { name: 'profile id in other case', env: { account: 'globex', profile: 'GLOBEX-A' }, dead: 'invalid_envelope' },
      { name: 'profile id with path tricks', env: { account: 'globex', profile: '../acme-a' }, dead: 'invalid_envelope' },
      { name: 'disabled profile of the same account', env: { account: 'acme', profile: 'acme-off' }, dead: 'profile_disabled' },
      { name: 'unknown profile id', env: { account: 'globex', profile: 'globex-z' }, dead: 'profile_not_found' },
      { name: 'account without profiles', env: { account: 'initech' }, dead: 'no_profile' },
      { name: 'fan-out of globex', env: { account: 'globex' }, to: ['globex-a'] },
      { name: 'fan-out of acme', env: { account: 'acme' }, to: ['acme-a', 'acme-b'] },
      { name: 'acme names acme-b', env: { account: 'acme', profile: 'acme-b' }, to: ['acme-b'] },
    ]
    const msgs: Outgoing[] = []
    const units: Unit[] = []
    const bad = new Set<string>()
    const expectedTo = new Map<string, string[]>()
    for (let r = 0; r < o.rounds; r++) {
      cases.forEach((c, i) => {
        const id = `t${r}_${i}`
        msgs.push(envelopeMsg('sms', 'sms-send', { id, ...c.env, data: smsData(i) }))
        if (c.dead) {
          bad.add(id)
          units.push({ eventId: id, profile: null, expectDead: c.dead })
        } else {
          expectedTo.set(id, c.to ?? [])
          for (const p of c.to ?? []) units.push({ eventId: id, profile: p })
        }
      })
    }
    const pub = await publishAll(client.js, msgs)
    const { ledger: l } = await settle(units, [books], client.js, client.jsm, 30_000)
    const leaked = books.answers.filter((a) => bad.has(a.webhookId.split(':')[0]))
    checks.push({ name: 'an account mismatch in any form produces no request', ok: leaked.length === 0, detail: leaked.map((a) => a.webhookId).join(', ') })
    const strays = books.answers.filter((a) => {
      const [id, p] = a.webhookId.split(':')
      const to = expectedTo.get(id)
      return to !== undefined && !to.includes(p)
    })
    checks.push({ name: "a fan-out reaches only its own account's profiles", ok: strays.length === 0, detail: strays.map((a) => a.webhookId).join(', ') })
    checks.push({ name: 'the daemon never exited', ok: d.crashes.length === 0 && d.running })
    await d.stop()
    return summarize('tenant isolation', pub.stored, units, l, d.maxRssKb, t0, checks, [`${cases.filter((c) => c.dead).length} hostile envelope forms × ${o.rounds} rounds, with valid neighbours`])
  } finally {
    await stack.close()
    await client.nc.close()
    await books.close()
    await nats.close()
  }
}

// ── secrets ──────────────────────────────────────────────────────────────────────────

export async function secretsScenario(): Promise<ScenarioResult> {
  const t0 = Date.now()
  const secrets = {
    CR_API_KEY: 'sk_live_ApiKey7f3c9e1d2b',
    CR_BASIC_PASS: 'basicPass-9d8c7b6a',
    CR_CLIENT_SECRET: 'clientSecret-5e4d3c2b1a',
    CR_AES_KEY: 'AesKey-0123456789abcdefghijklmnop'.slice(0, 32),
    CR_WHSEC: 'whsec_' + Buffer.from('signing-secret-0123456789abcdef!').toString('base64'),
  }
  const TOKEN = 'oauthToken-1a2b3c4d5e6f'
  // Every form a secret could leak in: as is, base64 (Basic header, key material), hex.
  const needles = new Map<string, string>()
  for (const [k, v] of Object.entries(secrets)) {
    needles.set(k, v)
    needles.set(`${k} (base64)`, Buffer.from(v).toString('base64'))
    needles.set(`${k} (hex)`, Buffer.from(v).toString('hex'))
  }
  needles.set('CR_WHSEC key', secrets.CR_WHSEC.slice('whsec_'.length))
  needles.set('basic credentials (base64)', Buffer.from(`router:${secrets.CR_BASIC_PASS}`).toString('base64'))
  needles.set('OAuth2 access token', TOKEN)
  const nats = await NatsServer.start()
  const seen = new Map<string, number>()
  let tokenRequests = 0
  const books = await booksEndpoint((req, id) => {
    if (req.pathname === '/token') {
      tokenRequests++
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: TOKEN, expires_in: 3600 }) }
    }
    const n = seen.get(id) ?? 0
    seen.set(id, n + 1)
    if (req.pathname === '/enc') return { status: 500, body: 'no' }
    if (n === 0) return { status: req.pathname === '/oauth' ? 401 : 503 }
    return {}
  })
  const url = books.ep.url
  const retry = { count: 1, intervalSeconds: 0.2, timeoutMs: 1000 }
  const profiles = [
    smsProfile('s-headers', 'sec', `${url}/headers`, { headers: { 'X-Api-Key': '${env:CR_API_KEY}' }, retry }),
    smsProfile('s-basic', 'sec', `${url}/basic`, { auth: { type: 'basic', username: 'router', password: '${env:CR_BASIC_PASS}' }, retry }),
    smsProfile('s-oauth', 'sec', `${url}/oauth`, { auth: { type: 'oauth2', tokenUrl: `${url}/token`, clientId: 'router', clientSecret: '${env:CR_CLIENT_SECRET}' }, retry }),
    smsProfile('s-enc', 'sec', `${url}/enc`, { encryption: { algorithm: 'aes-256-gcm', key: '${env:CR_AES_KEY}', iv: 'random', parameters: ['to'] }, signing: { secret: '${env:CR_WHSEC}' }, retry }),
  ]
  const stack = await createStack({ servers: [nats.url], profiles, logLevel: 'debug' })
  const client = await natsClient([nats.url])
  const d = stack.daemon({ env: secrets })
  const checks: Check[] = []
  const outputs: Array<[string, string]> = []
  try {
    await startedDaemon(d)
    await streamsReady(client.jsm)
    const msgs: Outgoing[] = []
    const units: Unit[] = []
    for (let i = 0; i < 5; i++) {
      msgs.push(envelopeMsg('sms', 'sms-send', { id: `sec${i}`, account: 'sec', data: smsData(i) }))
      for (const p of profiles) units.push({ eventId: `sec${i}`, profile: String(p.id), expectDead: p.id === 's-enc' ? 'retries_exhausted' : undefined })
    }
    const pub = await publishAll(client.js, msgs)
    const { ledger: l, dead } = await settle(units, [books], client.js, client.jsm, 30_000)
    checks.push({ name: 'the OAuth2 token was fetched and the flow went through (401 refresh, 503 retry, dead letters)', ok: tokenRequests >= 1 && l.delivered === 15 })
    // The CLI around it: every command an operator would run on these profiles.
    const cfg = ['--config', stack.configFile]
    const env = { ...secrets }
    for (const args of [['validate'], ['profiles', '--json'], ['dead-letters', 'list', '--json'], ['dead-letters', 'show', String(dead[0]?.seq ?? 1), '--json'], ['attempts', 'sec0', '--json'], ['test', 's-basic'], ['test', 's-oauth'], ['test', 's-enc'], ['test', 's-headers']]) {
      const r = await cli([...args, ...cfg], env)
      outputs.push([`callback-router ${args.join(' ')}`, r.out])
    }
    await d.stop()
    outputs.push(['daemon stdout+stderr (log level debug)', d.output])
    const leaks: string[] = []
    for (const [where, text] of outputs) for (const [what, v] of needles) if (text.includes(v)) leaks.push(`${what} in ${where}`)
    const lines = outputs.reduce((n, [, t]) => n + t.split('\n').length, 0)
    checks.push({ name: `no secret value in ${lines} lines of daemon log (debug) and CLI output`, ok: leaks.length === 0, detail: leaks.join('; ') })
    checks.push({ name: 'the debug log is not empty (the grep looked at something)', ok: d.output.split('\n').length > 20 })

    // Header injection refused at load, by validate and by start.
    const injections: Array<[string, Record<string, unknown>, NodeJS.ProcessEnv]> = [
      ['CR/LF in a header value', { headers: { 'X-A': 'v\r\nX-Injected: 1' } }, {}],
      ['LF in a header value', { headers: { 'X-A': 'v\nX-Injected: 1' } }, {}],
      ['CR/LF from an env variable', { headers: { 'X-A': '${env:CR_EVIL}' } }, { CR_EVIL: 'ok\r\nX-Injected: 1' }],
      ['space in a header name', { headers: { 'X Bad': 'v' } }, {}],
      ['colon in a header name', { headers: { 'X-A:b': 'v' } }, {}],
      ['CR/LF in a header name', { headers: { 'X-A\r\nX-Injected': 'v' } }, {}],
      ['NUL in a header value', { headers: { 'X-A': 'v\u0000w' } }, {}],
    ]
    for (const [name, fields, extraEnv] of injections) {
      const s = await createStack({ servers: [nats.url], profiles: [smsProfile('inj', 'inj', `${url}/inj`, fields)] })
      try {
        const v = await cli(['validate', '--config', s.configFile], extraEnv)
        // start refuses the same way (one value and one name case: each start costs a process).
        const st = name === 'CR/LF from an env variable' || name === 'CR/LF in a header name' ? await cli(['start', '--config', s.configFile], extraEnv) : undefined
        checks.push({ name: `header injection refused at load: ${name} (validate exit ${v.code}${st ? `, start exit ${st.code}` : ''})`, ok: v.code === 1 && (!st || st.code === 1) && /header/i.test(v.out), detail: v.out.slice(0, 300) })
      } finally {
        await s.close()
      }
    }
    return summarize('secrets (debug log)', pub.stored, units, l, d.maxRssKb, t0, checks, [`grepped ${outputs.length} outputs for ${needles.size} secret forms`])
  } finally {
    await stack.close()
    await client.nc.close()
    await books.close()
    await nats.close()
  }
}

export type { Books }

// ── hostile input: planted secrets and dot segments ─────────────────────────────────────

/** Spellings of `.` and `..` that URL parsing, or a receiver decoding once more, collapses. */
export const DOT_SPELLINGS = ['.', '..', '%2E', '%2e%2E', '.%2E', '%2E.', '%252E%252E', '%25252E']
/** Values with dots that stay in their segment. */
export const DOTTY_BUT_FINE = ['...', '.well-known', '..a', '../x']

/**
 * Values planted in the daemon's environment and named by `${env:…}` in profiles, then
 * looked for in everything that can show a profile value: the console's Test and save
 * answers, `validate`, `test`, dead letters, attempt records, the reload-refused log, the
 * daemon's debug log. And event data that tries to climb the endpoint's path with dot
 * segments: render_failed, nothing sent.
 */
export async function hostileInputScenario(o: { rounds: number }): Promise<ScenarioResult> {
  const t0 = Date.now()
  const planted = { CR_H_KEY: 'planted-Key-4c1d9e7f2a', CR_H_HOST: 'planted-host-b5e8a1c3', CR_H_REFUSED: '10.66.77.88' }
  const token = 'hostile-input-console-token-0123456789'
  const values = Object.values(planted)
  const leaked = (text: string): string[] => values.filter((v) => text.toLowerCase().includes(v.toLowerCase()))
  const nats = await NatsServer.start()
  const books = await booksEndpoint((req) => (req.pathname === '/echo' ? { status: 500, body: JSON.stringify(req.headers) } : {}))
  const url = books.ep.url
  const none = { retry: { count: 0, timeoutMs: 2000 } }
  const profiles = [
    smsProfile('h-env-refused', 'h-env-refused', 'http://${env:CR_H_REFUSED}:9/x', none),
    smsProfile('h-literal-refused', 'h-literal-refused', 'http://10.9.8.7:9/x', none),
    smsProfile('h-env-dns', 'h-env-dns', 'http://${env:CR_H_HOST}.invalid/x', none),
    smsProfile('h-echo', 'h-echo', `${url}/echo`, { headers: { 'X-Api-Key': '${env:CR_H_KEY}' }, ...none }),
    smsProfile('h-dots', 'h-dots', `${url}/a/b/<ref>/tail?ref=<ref>`, none),
  ]
  const stack = await createStack({ servers: [nats.url], profiles, logLevel: 'debug', settings: { console: { enabled: true } } })
  const client = await natsClient([nats.url])
  const d = stack.daemon({ env: { ...planted, CALLBACK_ROUTER_CONSOLE_TOKEN: token } })
  const checks: Check[] = []
  const outputs: Array<[string, string]> = []
  try {
    await startedDaemon(d)
    await streamsReady(client.jsm)
    const msgs: Outgoing[] = []
    const units: Unit[] = []
    for (let r = 0; r < o.rounds; r++) {
      for (const p of ['h-env-refused', 'h-literal-refused', 'h-env-dns', 'h-echo']) {
        const id = `h${r}_${p.replace(/-/g, '_')}`
        msgs.push(envelopeMsg('sms', 'sms-send', { id, account: p, data: smsData(r) }))
        units.push({ eventId: id, profile: p, expectDead: p.endsWith('refused') ? 'address_refused' : 'retries_exhausted' })
      }
      ;[...DOT_SPELLINGS, ...DOTTY_BUT_FINE].forEach((ref, i) => {
        const id = `h${r}_dots_${i}`
        msgs.push(envelopeMsg('sms', 'sms-send', { id, account: 'h-dots', data: { ...smsData(r), ref } }))
        units.push({ eventId: id, profile: 'h-dots', expectDead: DOT_SPELLINGS.includes(ref) ? 'render_failed' : undefined })
      })
    }
    const pub = await publishAll(client.js, msgs)
    const { ledger: l, dead } = await settle(units, [books], client.js, client.jsm, 60_000)
    if (l.wrong.length) checks.push({ name: 'every hostile event ended as expected', ok: false, detail: l.wrong.map((w) => `${w.unit.eventId}: expected ${w.unit.expectDead ?? 'delivery'}, got ${w.got}`).join('; ') })
    const climbed = books.answers.filter((a) => a.req.pathname !== '/echo' && !/^\/a\/b\/[^/]+\/tail$/.test(a.req.pathname))
    checks.push({ name: `dot segments (${DOT_SPELLINGS.join(' ')}) in a path placeholder: render_failed, no request left /a/b/<ref>/tail`, ok: climbed.length === 0 && (l.dead.render_failed ?? 0) === DOT_SPELLINGS.length * o.rounds, detail: climbed.map((a) => a.req.path).join(', ') })
    const fine = books.answers.filter((a) => a.req.pathname.startsWith('/a/b/')).map((a) => decodeURIComponent(a.req.pathname.split('/')[3]))
    checks.push({ name: `dotted values that are not dot segments (${DOTTY_BUT_FINE.join(' ')}) are delivered in their segment`, ok: DOTTY_BUT_FINE.every((v) => fine.includes(v)), detail: fine.join(' ') })
    const envRefused = dead.filter((x) => x.profile === 'h-env-refused')
    const litRefused = dead.filter((x) => x.profile === 'h-literal-refused')
    checks.push({ name: 'a refused address is named in its dead letter: a literal host as itself, a host from ${env:…} as its reference', ok: envRefused.length > 0 && envRefused.every((x) => x.detail.includes('${env:CR_H_REFUSED}')) && litRefused.length > 0 && litRefused.every((x) => x.detail.includes('10.9.8.7')), detail: [...envRefused, ...litRefused].map((x) => x.detail).join(' | ') })
    outputs.push(['dead letters (headers and bodies)', JSON.stringify(dead.map((x) => ({ ...x, data: Buffer.from(x.data).toString('utf8') })))])

    // The console of the running daemon: Test with secrets in the host and a header, save with one in an error.
    const api = async (method: string, path: string, body: unknown): Promise<string> => {
      const res = await fetch(`http://127.0.0.1:${stack.statusPort}/console/api${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return `${res.status} ${await res.text()}`
    }
    const hostile = { events: ['${env:CR_H_KEY}'], encryption: { algorithm: 'aes-128-gcm', key: '0123456789abcdef', iv: 'random', parameters: ['${env:CR_H_KEY}'] } }
    const testHost = await api('POST', '/test', { raw: smsProfile('probe', 'probe', 'http://${env:CR_H_HOST}.invalid/${env:CR_H_KEY}') })
    checks.push({ name: "the console's Test answers request.url with the references", ok: testHost.includes('"url":"http://${env:CR_H_HOST}.invalid/${env:CR_H_KEY}"'), detail: testHost.slice(0, 300) })
    outputs.push(['console Test (env host)', testHost])
    outputs.push(['console Test (receiver echoes the header)', await api('POST', '/test', { raw: smsProfile('probe', 'probe', `${url}/echo`, { headers: { 'X-Api-Key': '${env:CR_H_KEY}' } }) })])
    outputs.push(['console Test (422)', await api('POST', '/test', { raw: smsProfile('probe', 'probe', `${url}/x`, hostile) })])
    outputs.push(['console save (422)', await api('POST', '/profiles', { raw: smsProfile('h-hostile', 'h', `${url}/x`, hostile) })])

    // The CLI an operator would run, and a reload refused for a profile quoting a secret.
    const cfg = ['--config', stack.configFile]
    const env = { ...planted }
    for (const args of [['test', 'h-echo'], ['test', 'h-echo', '--json'], ['test', 'h-env-dns'], ['test', 'h-env-dns', '--json'], ['test', 'h-env-refused'], ['profiles', '--json'], ['dead-letters', 'list', '--json'], ['dead-letters', 'show', String(envRefused[0]?.seq ?? 1), '--json'], ['attempts', 'h0_h_env_refused', '--json'], ['attempts', 'h0_h_env_dns', '--json']]) {
      const r = await cli([...args, ...cfg], env)
      outputs.push([`callback-router ${args.join(' ')}`, r.out])
    }
    await stack.writeProfile(smsProfile('h-hostile', 'h', `${url}/x`, hostile))
    const v = await cli(['validate', ...cfg], env)
    outputs.push(['callback-router validate (a profile quoting a secret)', v.out])
    checks.push({ name: 'validate names the references where a profile value is quoted', ok: v.code === 1 && v.out.includes('${env:CR_H_KEY}'), detail: v.out.slice(0, 300) })
    const reloaded = await until(() => d.output.includes('reload refused'), 15_000)
    checks.push({ name: 'the daemon refused the reload (the file watcher saw the profile)', ok: !!reloaded })

    // Refused at load, each with its code (issue 14 items 5, 6, 9): one hostile profile a file.
    const atLoad: Array<[string, Record<string, unknown>, string, string]> = [
      ['h-load-auth-host', { auth: { type: 'oauth2', tokenUrl: `${url}/token`, clientId: 'c', clientSecret: '${env:CR_H_KEY}', headers: { HOST: 'evil.example' } } }, 'CONFIG_HEADER_RESERVED', '/auth/headers/HOST'],
      ['h-load-expect', { headers: { eXpEcT: '100-continue' } }, 'CONFIG_HEADER_RESERVED', '/headers/eXpEcT'],
      ['h-load-webhook', { headers: { 'Webhook-Signature': 'v1,forged' } }, 'CONFIG_HEADER_RESERVED', '/headers/Webhook-Signature'],
      ['h-load-latin1', { headers: { 'X-Note': 'caf\u20ac' } }, 'CONFIG_HEADER_VALUE_CHARSET', '/headers/X-Note'],
      ['h-load-short-secret', { signing: { secret: ['whsec_' + Buffer.alloc(32, 1).toString('base64'), 'whsec_A'] } }, 'CONFIG_SIGNING_SECRET_SHORT', '/signing/secret/1'],
      ['h-load-userinfo', { endpointOverride: 'http://admin:${env:CR_H_KEY}@127.0.0.1:9/x' }, 'CONFIG_ENDPOINT_USERINFO', '/endpoint'],
    ]
    for (const [id, extra] of atLoad) {
      const { endpointOverride, ...fields } = extra as { endpointOverride?: string }
      await stack.writeProfile(smsProfile(id, id, endpointOverride ?? `${url}/x`, { ...fields, ...none }))
    }
    const lv = await cli(['validate', '--json', ...cfg], env)
    outputs.push(['callback-router validate --json (profiles refused at load)', lv.out])
    const found = (JSON.parse(lv.out.slice(lv.out.indexOf('{'))) as { diagnostics: Array<{ file: string; code: string; pointer: string }> }).diagnostics
    const missing = atLoad.filter(([id, , code, pointer]) => !found.some((f) => f.file.endsWith(`${id}.json`) && f.code === code && f.pointer === pointer))
    checks.push({ name: `refused at load with their codes: reserved auth.headers and headers (any case), non-Latin-1 values, a short secret of a rotation, user info (${atLoad.length} profiles)`, ok: lv.code === 1 && missing.length === 0, detail: missing.map(([id, , code]) => `${id}: no ${code}`).join('; ') })
    await d.stop()
    outputs.push(['daemon stdout+stderr (log level debug)', d.output])
    const leaks = outputs.flatMap(([where, text]) => leaked(text).map((v) => `${v} in ${where}`))
    const lines = outputs.reduce((n, [, text]) => n + text.split('\n').length, 0)
    checks.push({ name: `no planted value in ${outputs.length} outputs (${lines} lines): console Test and save, validate, test, dead letters, attempts, reload log, debug log`, ok: leaks.length === 0, detail: leaks.join('; ') })
    checks.push({ name: 'the daemon never exited', ok: d.crashes.length === 0 })
    return summarize('hostile input (secrets, dot segments)', pub.stored, units, l, d.maxRssKb, t0, checks, [`${values.length} planted values, ${DOT_SPELLINGS.length} dot spellings × ${o.rounds} rounds`])
  } finally {
    await stack.close()
    await client.nc.close()
    await books.close()
    await nats.close()
  }
}
