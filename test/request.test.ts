import t from 'tap'
import fc from 'fast-check'
import { Response } from 'undici'
import { Webhook } from 'standardwebhooks'
import { compileProfile } from '../core/render/compile'
import { decryptValue } from '../core/render/encrypt'
import { CallbackRouterError } from '../core/errors'
import { PluginRegistry } from '../core/plugin/registry'
import type { ChannelPlugin, EventSpec } from '../core/plugin/contract'
import type { Profile } from '../core/generated/profile'
import type { CallbackEvent } from '../core/generated/event'
import { nastyString } from './helpers/arbitraries'

const spec: EventSpec = { description: 'd', payloadSchema: { type: 'object' }, variables: [{ name: 'id', type: 'string', description: 'id', example: 'm1' }] }
const sms: ChannelPlugin = {
  name: 'sms', title: 'SMS', events: { 'sms-send': spec }, retry: { maxRetries: 3, intervalSeconds: 10, backoff: 'fixed' },
  toVariables: (_env, data) => ({ status_lower: String(data.status ?? '').toLowerCase() }),
}
const chat: ChannelPlugin = {
  name: 'chat', title: 'Chat', events: { message: spec }, retry: { maxRetries: 4, intervalSeconds: 60, backoff: 'fixed' },
  formatters: {
    // A plugin format: "name: value" lines, through the formatter contract.
    lines: (fields) => ({ body: new TextEncoder().encode(fields.map(([k, v]) => `${k}: ${v}\n`).join('')), contentType: 'text/x-lines; charset=utf-8' }),
  },
}
const catchAll: ChannelPlugin = { name: 'default', title: 'Default', catchAll: true, events: { '*': { ...spec, variables: [] } }, retry: { maxRetries: 4, intervalSeconds: 60, backoff: 'exponential' } }
const registry = new PluginRegistry([sms, chat, catchAll])

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const event: CallbackEvent = {
  id: 'evt_01J9Z',
  account: 'acme',
  occurredAt: '2026-11-24T10:00:00Z',
  data: { id: 'msg-1', to: '+91 98765', status: 'DELIVERED', ref: 'r&1', price: 0.01, error: { code: 'E0' } },
}
const ctx = { event: 'sms-send', channel: 'sms', timestamp: 1764000000 }
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8')

function profile(over: Partial<Profile>): Profile {
  return { id: 'acme-sms-dlr', title: 'ACME SMS', account: 'acme', channel: 'sms', endpoint: 'https://hooks.acme.example/cb', ...over }
}
function code(fn: () => unknown): string | undefined {
  try { fn() } catch (e) { return e instanceof CallbackRouterError ? e.code : `not a CallbackRouterError: ${String(e)}` }
  return undefined
}

t.test("POST json profile like DESIGN's example: URL, typed body, headers, and a signature that verifies", async (t) => {
  const p = compileProfile(profile({
    endpoint: 'https://hooks.acme.example/callbacks/sms?ref=<ref>',
    body: { id: '<id>', to: '<to>', status: '<status>', price: '<price>', detail: { code: '<error.code>' } },
    headers: { 'X-Api-Key': 'k-123' },
    signing: { secret: SECRET },
  }), registry)
  const now = Math.floor(Date.now() / 1000)
  const req = p.render(event, { ...ctx, timestamp: now })
  t.equal(req.method, 'POST')
  t.equal(req.url, 'https://hooks.acme.example/callbacks/sms?ref=r%261')
  t.equal(text(req.body), '{"id":"msg-1","to":"+91 98765","status":"DELIVERED","price":0.01,"detail":{"code":"E0"}}')
  t.equal(req.headers['content-type'], 'application/json')
  t.equal(req.headers['x-api-key'], 'k-123')
  t.equal(req.headers['webhook-id'], 'evt_01J9Z:acme-sms-dlr')
  t.equal(req.headers['webhook-timestamp'], String(now))
  t.same(new Webhook(SECRET).verify(text(req.body), req.headers), JSON.parse(text(req.body)))
  t.notOk('authorization' in req.headers, 'auth is the HTTP side')
  t.notOk('user-agent' in req.headers)
})

t.test('webhook-id is stable across attempts; webhook-timestamp is the attempt time', async (t) => {
  const p = compileProfile(profile({}), registry)
  const a = p.render(event, { ...ctx, timestamp: 100 })
  const b = p.render(event, { ...ctx, timestamp: 200 })
  t.equal(a.headers['webhook-id'], b.headers['webhook-id'])
  t.equal(b.headers['webhook-timestamp'], '200')
  t.notOk('webhook-signature' in a.headers, 'no signing, no signature')
})

t.test('GET profile puts variables in the query string, URL-encoded, and sends no body', async (t) => {
  const p = compileProfile(profile({ method: 'GET', endpoint: 'https://customer-endpoint/kaleyra/callbacks?id=<id>&to=<to>&status=<status>' }), registry)
  const req = p.render(event, ctx)
  t.equal(req.method, 'GET')
  t.equal(req.url, 'https://customer-endpoint/kaleyra/callbacks?id=msg-1&to=%2B91%2098765&status=DELIVERED')
  t.equal(req.body, undefined)
  t.notOk('content-type' in req.headers)
  t.equal(new URL(req.url).searchParams.get('to'), '+91 98765')
})

t.test('GET and DELETE with a body are refused at compile time', async (t) => {
  t.equal(code(() => compileProfile(profile({ method: 'GET', body: { a: 1 } }), registry)), 'CONFIG_BODY_NOT_ALLOWED')
  t.equal(code(() => compileProfile(profile({ method: 'DELETE', body: 'x' }), registry)), 'CONFIG_BODY_NOT_ALLOWED')
  const del = compileProfile(profile({ method: 'DELETE', endpoint: 'https://h.example/items/<id>' }), registry).render(event, ctx)
  t.equal(del.url, 'https://h.example/items/msg-1')
  t.equal(del.body, undefined)
})

t.test('GET with signing signs the empty body', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  const req = compileProfile(profile({ method: 'GET', signing: { secret: SECRET } }), registry).render(event, { ...ctx, timestamp: now })
  t.doesNotThrow(() => new Webhook(SECRET).verify('', req.headers, { jsonParse: false }))
})

t.test('no body with json: the event data with the envelope under _event', async (t) => {
  const req = compileProfile(profile({}), registry).render({ ...event, profile: 'acme-sms-dlr' }, ctx)
  t.same(JSON.parse(text(req.body)), {
    ...event.data,
    _event: { id: 'evt_01J9Z', account: 'acme', channel: 'sms', name: 'sms-send', occurredAt: '2026-11-24T10:00:00Z', profile: 'acme-sms-dlr' },
  })
})

t.test('no body with urlencoded: every variable as a flat dotted key', async (t) => {
  const req = compileProfile(profile({ format: 'urlencoded' }), registry).render(event, ctx)
  t.equal(req.headers['content-type'], 'application/x-www-form-urlencoded')
  const got = Object.fromEntries(new URLSearchParams(text(req.body)))
  t.match(got, { id: 'msg-1', to: '+91 98765', price: '0.01', 'error.code': 'E0', status_lower: 'delivered', '_event.id': 'evt_01J9Z', '_event.profile': 'acme-sms-dlr' })
})

t.test('no body with form: every variable as a multipart field, parsed back by undici', async (t) => {
  const req = compileProfile(profile({ format: 'form' }), registry).render(event, ctx)
  t.match(req.headers['content-type'], /^multipart\/form-data; boundary=/)
  const form = await new Response(req.body, { headers: { 'content-type': req.headers['content-type'] } }).formData()
  t.equal(form.get('to'), '+91 98765')
  t.equal(form.get('error.code'), 'E0')
  t.equal(form.get('_event.name'), 'sms-send')
})

t.test('form with a body object: fields in order; a multipart body is signed as sent', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  const req = compileProfile(profile({ format: 'form', body: { id: '<id>', note: 'to <to>' }, signing: { secret: [SECRET, 'whsec_' + Buffer.from('x'.repeat(32)).toString('base64')] } }), registry)
    .render(event, { ...ctx, timestamp: now })
  const form = await new Response(req.body, { headers: { 'content-type': req.headers['content-type'] } }).formData()
  t.same([...form.entries()], [['id', 'msg-1'], ['note', 'to +91 98765']])
  t.equal(req.headers['webhook-signature'].split(' ').length, 2)
  t.doesNotThrow(() => new Webhook(SECRET).verify(Buffer.from(req.body!), req.headers, { jsonParse: false }))
})

t.test('urlencoded with a template string body', async (t) => {
  const req = compileProfile(profile({ format: 'urlencoded', body: 'id=<id>&to=<to>' }), registry).render(event, ctx)
  t.equal(text(req.body), 'id=msg-1&to=%2B91+98765')
})

t.test('body shapes a format cannot take are refused at compile time', async (t) => {
  t.equal(code(() => compileProfile(profile({ format: 'form', body: 'a=<id>' }), registry)), 'CONFIG_BODY_SHAPE')
  t.equal(code(() => compileProfile(profile({ format: 'urlencoded', body: ['<id>'] }), registry)), 'CONFIG_BODY_SHAPE')
  t.equal(code(() => compileProfile(profile({ format: 'urlencoded', body: { a: { b: '<id>' } } }), registry)), 'CONFIG_BODY_SHAPE')
  t.equal(code(() => compileProfile(profile({ body: '{"a": <id>' }), registry)), 'CONFIG_BODY_INVALID_JSON')
})

t.test('a Content-Type header in the profile wins over the format; with form it is refused', async (t) => {
  const req = compileProfile(profile({ headers: { 'Content-Type': 'application/vnd.acme+json' } }), registry).render(event, ctx)
  t.equal(req.headers['content-type'], 'application/vnd.acme+json')
  t.equal(Object.keys(req.headers).filter((h) => h.toLowerCase() === 'content-type').length, 1)
  t.equal(code(() => compileProfile(profile({ format: 'form', headers: { 'content-type': 'text/plain' } }), registry)), 'CONFIG_HEADER_CONTENT_TYPE_FORM')
})

t.test('headers the daemon sets cannot be configured', async (t) => {
  t.equal(code(() => compileProfile(profile({ headers: { 'Webhook-Id': 'x' } }), registry)), 'CONFIG_HEADER_RESERVED')
  t.equal(code(() => compileProfile(profile({ headers: { 'Content-Length': '1' } }), registry)), 'CONFIG_HEADER_RESERVED')
})

t.test('a header rendered from event data with CR/LF fails the delivery with render_failed', async (t) => {
  const p = compileProfile(profile({ headers: { 'X-Ref': '<ref>' } }), registry)
  t.equal(p.render(event, ctx).headers['x-ref'], 'r&1')
  t.equal(code(() => p.render({ ...event, data: { ref: 'a\r\nX-Evil: 1' } }, ctx)), 'render_failed')
})

t.test('encryption runs before rendering: listed parameters arrive encrypted in endpoint, body and defaults', async (t) => {
  const encryption = { algorithm: 'aes-256-gcm' as const, key: 'k'.repeat(32), iv: 'random', parameters: ['to', 'error.code'] as [string, ...string[]] }
  const p = compileProfile(profile({ endpoint: 'https://h.example/cb?to=<to>', body: { to: '<to>', code: 'c=<error.code>', id: '<id>' }, encryption }), registry)
  const req = p.render(event, ctx)
  const body = JSON.parse(text(req.body)) as Record<string, string>
  t.equal(decryptValue(encryption, body.to), '+91 98765')
  t.equal(decryptValue(encryption, body.code.slice(2)), 'E0')
  t.equal(body.id, 'msg-1')
  t.equal(decryptValue(encryption, new URL(req.url).searchParams.get('to')!), '+91 98765')
  const def = JSON.parse(text(compileProfile(profile({ encryption }), registry).render(event, ctx).body)) as { to: string; error: { code: string } }
  t.equal(decryptValue(encryption, def.to), '+91 98765')
  t.equal(decryptValue(encryption, def.error.code), 'E0')
  t.equal((event.data as { to: string }).to, '+91 98765', 'the event itself is not modified')
})

t.test('a bad encryption key is refused at compile time', async (t) => {
  t.equal(code(() => compileProfile(profile({ encryption: { algorithm: 'aes-128-cfb', key: 'short', iv: 'random', parameters: ['to'] } }), registry)), 'CONFIG_KEY_LENGTH')
})

t.test('a plugin-provided format is used through the formatter contract', async (t) => {
  const p = compileProfile(profile({ channel: 'chat', format: 'lines', body: { id: '<id>', status: '<status>' } }), registry)
  const req = p.render(event, { event: 'message', channel: 'chat', timestamp: 1 })
  t.equal(text(req.body), 'id: msg-1\nstatus: DELIVERED\n')
  t.equal(req.headers['content-type'], 'text/x-lines; charset=utf-8')
  const flat = compileProfile(profile({ channel: 'chat', format: 'lines' }), registry).render({ ...event, data: { a: 1 } }, { event: 'message', channel: 'chat', timestamp: 1 })
  t.match(text(flat.body), /^a: 1\n_event\.id: evt_01J9Z\n/)
  t.equal(code(() => compileProfile(profile({ format: 'xml' }), registry)), 'CONFIG_UNKNOWN_FORMAT')
})

t.test("a default profile receiving another channel's event gets that channel's derived variables", async (t) => {
  const p = compileProfile(profile({ channel: 'default', body: { s: '<status_lower>', ch: '<_event.channel>', ev: '<_event.name>' } }), registry)
  t.same(JSON.parse(text(p.render(event, ctx).body)), { s: 'delivered', ch: 'sms', ev: 'sms-send' })
})

t.test('a plugin toVariables that throws fails the render with render_failed', async (t) => {
  const broken: ChannelPlugin = { ...sms, name: 'broken', toVariables: () => { throw new Error('boom') } }
  const p = compileProfile(profile({ channel: 'broken' }), new PluginRegistry([broken]))
  t.equal(code(() => p.render(event, { ...ctx, channel: 'broken' })), 'render_failed')
})

t.test('an unknown channel is refused at compile time', async (t) => {
  t.equal(code(() => compileProfile(profile({ channel: 'fax' }), registry)), 'CONFIG_UNKNOWN_CHANNEL')
})

t.test('timeoutMs: the profile retry.timeoutMs, else the settings default, else 5000', async (t) => {
  t.equal(compileProfile(profile({ retry: { timeoutMs: 1500 } }), registry).timeoutMs, 1500)
  t.equal(compileProfile(profile({}), registry, { defaultTimeoutMs: 2500 }).timeoutMs, 2500)
  t.equal(compileProfile(profile({}), registry).timeoutMs, 5000)
})

t.test('property: any string value reaches the receiver unchanged in every format', async () => {
  const json = compileProfile(profile({ body: { v: '<v>', t: 'x<v>' } }), registry)
  const pasted = compileProfile(profile({ body: '{"v": <v>}' }), registry)
  const url = compileProfile(profile({ method: 'GET', endpoint: 'https://h.example/cb?v=<v>' }), registry)
  const urlenc = compileProfile(profile({ format: 'urlencoded', body: { v: '<v>' } }), registry)
  const urlencString = compileProfile(profile({ format: 'urlencoded', body: 'v=<v>' }), registry)
  const form = compileProfile(profile({ format: 'form', body: { v: '<v>' } }), registry)
  await fc.assert(fc.asyncProperty(nastyString, async (v) => {
    const ev = { ...event, data: { v } }
    const check = (got: unknown, where: string) => { if (got !== v) throw new Error(`${where}: ${JSON.stringify(got)} !== ${JSON.stringify(v)}`) }
    const j = JSON.parse(text(json.render(ev, ctx).body)) as { v: string; t: string }
    check(j.v, 'json typed')
    check(j.t.slice(1), 'json text')
    check((JSON.parse(text(pasted.render(ev, ctx).body)) as { v: string }).v, 'pasted json')
    check(new URL(url.render(ev, ctx).url).searchParams.get('v'), 'GET query')
    check(new URLSearchParams(text(urlenc.render(ev, ctx).body)).get('v'), 'urlencoded')
    check(new URLSearchParams(text(urlencString.render(ev, ctx).body)).get('v'), 'urlencoded string')
    const f = form.render(ev, ctx)
    check((await new Response(f.body, { headers: { 'content-type': f.headers['content-type'] } }).formData()).get('v'), 'form')
  }), { numRuns: 150 })
})
