// callback-router/client against a real nats-server and a real endpoint: what it publishes
// the daemon delivers; what fails its checks never reaches NATS; ids dedupe; the active
// span's traceparent travels in the message headers.
import t from 'tap'
import { AsyncLocalStorage } from 'node:async_hooks'
import { context, propagation, trace, ROOT_CONTEXT, TraceFlags, type Context, type ContextManager } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { createPublisher } from '../core/client'
import { CallbackRouterError } from '../core/errors'
import { STREAMS, ensureStreams } from '../core/jetstream/streams'
import { loadSettings } from '../core/config/settings'
import { startEndpoint } from './helpers/endpoint'
import { createFixture, profile, runCli } from './helpers/daemon-fixture'
import { freePort, NatsServer } from './helpers/nats-server'

/** A fixture with the daemon's streams but no daemon, so published messages stay to be read. */
async function streamsOnly(options: Parameters<typeof createFixture>[0] = {}): Promise<Awaited<ReturnType<typeof createFixture>>> {
  const fx = await createFixture(options)
  const { settings } = await loadSettings(fx.configFile)
  await ensureStreams(fx.jsm, settings!)
  return fx
}

const data = { id: 'msg-1', to: '+919876543210', status: 'Delivered' as const, error: { code: '000' } }

t.test('the publisher client publishes an event the daemon delivers; a repeated id comes back duplicate', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  const fx = await createFixture({ profiles: [profile('acme-sms', `${ep.url}/sms`, { body: { id: '<id>', status: '<status>', event: '<_event.id>' } })] })
  t.teardown(() => fx.close())
  await fx.start()
  const publisher = createPublisher({ servers: fx.nats.url })
  t.teardown(() => publisher.close())

  const first = await publisher.publish('sms', 'sms-send', { id: 'evt_client_1', account: 'acme', occurredAt: new Date('2026-11-24T10:00:00Z'), data })
  t.match(first, { id: 'evt_client_1', subject: 'callbacks.sms.sms-send', stream: STREAMS.events, duplicate: false })
  t.ok(first.seq > 0)
  const [req] = await ep.waitFor(1, 20_000)
  t.same(JSON.parse(req.body.toString('utf8')), { id: 'msg-1', status: 'Delivered', event: 'evt_client_1' })
  t.equal(req.headers['webhook-id'], 'evt_client_1:acme-sms')

  const again = await publisher.publish('sms', 'sms-send', { id: 'evt_client_1', account: 'acme', data })
  t.equal(again.duplicate, true, 'the stream dropped the repeat')
  t.equal(again.seq, first.seq)
  const generated = await publisher.publish('sms', 'sms-send', { account: 'acme', data })
  t.match(generated.id, /^evt_[A-Za-z0-9]+$/, 'an omitted id is generated')
  await ep.waitFor(2, 20_000)
  t.equal(ep.requests.filter((r) => r.headers['webhook-id'] === 'evt_client_1:acme-sms').length, 1, 'the duplicate was not delivered again')
})

t.test('a bad payload, an unknown channel or event, or a malformed id throws a coded error and nothing is published', async (t) => {
  const fx = await streamsOnly()
  t.teardown(() => fx.close())
  const seen: string[] = []
  const sub = fx.nc.subscribe('callbacks.>', { callback: (_e, m) => seen.push(m.subject) })
  t.teardown(() => sub.unsubscribe())
  const publisher = createPublisher({ nc: fx.nc })
  const refused = async (label: string, p: Promise<unknown>, code: string, where: string, message: RegExp) => {
    const err = await p.then(() => undefined, (e: unknown) => e)
    t.ok(err instanceof CallbackRouterError, `${label}: a CallbackRouterError`)
    t.match(err, { code, where }, label)
    t.match((err as Error).message, message, label)
  }
  const pub = publisher.publish.bind(publisher) as (c: string, e: string, i: unknown) => Promise<unknown>
  await refused('bad enum', pub('sms', 'sms-send', { account: 'acme', data: { ...data, status: 'Delivred' } }), 'PUBLISH_INVALID_PAYLOAD', '/data/status', /sms\/sms-send payload schema: \/data\/status: must be one of "Sent"/)
  await refused('missing field', pub('sms', 'sms-send', { account: 'acme', data: { id: 'x', status: 'Sent' } }), 'PUBLISH_INVALID_PAYLOAD', '/data/to', /\/data\/to: missing required property "to"/)
  await refused('unknown channel', pub('fax', 'fax-sent', { account: 'acme', data }), 'PUBLISH_UNKNOWN_CHANNEL', '/channel', /unknown channel "fax"/)
  await refused('unknown event', pub('sms', 'sms-sent', { account: 'acme', data }), 'PUBLISH_UNKNOWN_EVENT', '/event', /no event "sms-sent" \(events: sms-send\)/)
  await refused('malformed id', pub('sms', 'sms-send', { id: 'evt 1/2', account: 'acme', data }), 'PUBLISH_INVALID_ID', '/id', /id "evt 1\/2" must match/)
  await refused('no account', pub('sms', 'sms-send', { data }), 'PUBLISH_INVALID_ENVELOPE', '/account', /missing required property "account"/)
  await refused('bad profile id', pub('sms', 'sms-send', { account: 'acme', profile: 'Not A Profile', data }), 'PUBLISH_INVALID_ENVELOPE', '/profile', /\/profile: must match/)
  await fx.nc.flush()
  t.same(seen, [], 'no message reached NATS')
  t.equal((await fx.jsm.streams.info(STREAMS.events)).state.messages, 0)

  // Checked before connecting: with no server at all, the answer is still the data's fault.
  const nowhere = createPublisher({ servers: `nats://127.0.0.1:${await freePort()}` })
  await refused('before connecting', (nowhere.publish as typeof pub)('sms', 'sms-send', { account: 'acme', data: { ...data, units: 'one' } }), 'PUBLISH_INVALID_PAYLOAD', '/data/units', /must be integer/)
  await nowhere.close()
})

t.test('an event larger than the server max_payload less 64 KiB (the daemon\'s limit) is refused before publishing', async (t) => {
  const nats = await NatsServer.start({ maxPayload: 128 * 1024 })
  t.teardown(() => nats.close())
  const fx = await streamsOnly({ nats })
  t.teardown(() => fx.close())
  const publisher = createPublisher({ nc: fx.nc })
  const big = { id: 'blob', note: 'x'.repeat(70 * 1024) }
  await t.rejects(publisher.publish('default', 'upload', { account: 'acme', data: big }), { code: 'PUBLISH_TOO_LARGE' })
  const fits = await publisher.publish('default', 'upload', { account: 'acme', data: { id: 'blob', note: 'x'.repeat(60 * 1024) } })
  t.equal(fits.seq, 1, 'only the event that fits reached the stream')
})

/** The smallest AsyncLocalStorage context manager: what an application's SDK would register. */
class TestContextManager implements ContextManager {
  private readonly als = new AsyncLocalStorage<Context>()
  active(): Context { return this.als.getStore() ?? ROOT_CONTEXT }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.als.run(ctx, () => fn.call(thisArg, ...args))
  }
  bind<T>(_ctx: Context, target: T): T { return target }
  enable(): this { return this }
  disable(): this { return this }
}

t.test('with an active span, the published message carries its traceparent, and Nats-Msg-Id is the event id', async (t) => {
  t.ok(context.setGlobalContextManager(new TestContextManager()))
  t.ok(propagation.setGlobalPropagator(new W3CTraceContextPropagator()))
  t.teardown(() => { context.disable(); propagation.disable() })
  const fx = await streamsOnly()
  t.teardown(() => fx.close())
  const publisher = createPublisher({ nc: fx.nc })
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
  const spanId = '00f067aa0ba902b7'
  const active = trace.setSpan(context.active(), trace.wrapSpanContext({ traceId, spanId, traceFlags: TraceFlags.SAMPLED }))
  const traced = await context.with(active, () => publisher.publish('sms', 'sms-send', { id: 'evt_traced', account: 'acme', data }))
  const plain = await publisher.publish('sms', 'sms-send', { id: 'evt_plain', account: 'acme', data })
  const msg = await fx.jsm.streams.getMessage(STREAMS.events, { seq: traced.seq })
  t.equal(msg.header.get('traceparent'), `00-${traceId}-${spanId}-01`)
  t.equal(msg.header.get('Nats-Msg-Id'), 'evt_traced')
  const untraced = await fx.jsm.streams.getMessage(STREAMS.events, { seq: plain.seq })
  t.equal(untraced.header.get('traceparent'), '', 'no span, no traceparent')
})

t.test('the publish command goes through the client: a bad payload exits 1 naming the field, nothing published', async (t) => {
  const fx = await streamsOnly()
  t.teardown(() => fx.close())
  const r = await runCli(['-c', fx.configFile, 'publish', 'sms', 'sms-send', '--account', 'acme', '--data', JSON.stringify({ ...data, status: 'Delivred' }), '--nats', fx.nats.url])
  t.equal(r.code, 1)
  t.match(r.stderr, /PUBLISH_INVALID_PAYLOAD: .*\/data\/status: must be one of/)
  t.equal((await fx.jsm.streams.info(STREAMS.events)).state.messages, 0)
  const ok = await runCli(['-c', fx.configFile, 'publish', 'sms', '--account', 'acme', '--id', 'evt_cli_ok', '--json', '--nats', fx.nats.url])
  t.equal(ok.code, 0, ok.stderr)
  t.match(JSON.parse(ok.stdout), { id: 'evt_cli_ok', subject: 'callbacks.sms.sms-send', duplicate: false })
})
