import t from 'tap'
import { buildVariables, compilePath, lookup } from '../core/render/variables'
import type { ChannelPlugin } from '../core/plugin/contract'
import type { CallbackEvent } from '../core/generated/event'

const envelope: CallbackEvent = {
  id: 'evt_1',
  account: 'acme',
  occurredAt: '2026-11-24T10:00:00Z',
  data: {
    id: 'msg-1',
    status: 'DELIVERED',
    price: 0.01,
    error: { code: 'E1', detail: { reason: 'none' } },
    items: [{ id: 'a' }, { id: 'b' }],
    'parts[n]': 'SAMPLE',
    'error.text': 'literal dotted key',
  },
}
const ctx = { channel: 'sms', event: 'sms-send', profileId: 'acme-sms' }

t.test('data fields are variables by name, keeping their JSON type', async (t) => {
  const v = buildVariables(envelope, ctx)
  t.equal(lookup(v, 'id'), 'msg-1')
  t.equal(lookup(v, 'price'), 0.01)
  t.same(lookup(v, 'error'), { code: 'E1', detail: { reason: 'none' } })
})

t.test('a dotted name reads nested data: a.b reads data.a.b', async (t) => {
  const v = buildVariables(envelope, ctx)
  t.equal(lookup(v, 'error.code'), 'E1')
  t.equal(lookup(v, 'error.detail.reason'), 'none')
})

t.test('[n] indexes an array, and the path goes on after it', async (t) => {
  const v = buildVariables(envelope, ctx)
  t.same(lookup(v, 'items[1]'), { id: 'b' })
  t.equal(lookup(v, 'items[0].id'), 'a')
  t.equal(lookup(v, 'items[5].id'), undefined)
  t.equal(lookup(v, 'error[0]'), undefined, 'an index into an object is absent')
})

t.test('a key that itself holds brackets or dots matches literally first', async (t) => {
  const v = buildVariables(envelope, ctx)
  t.equal(lookup(v, 'parts[n]'), 'SAMPLE')
  t.equal(lookup(v, 'error.text'), 'literal dotted key')
  const both = buildVariables({ id: 'e', account: 'a', data: { 'a.b': 'literal', a: { b: 'nested' } } }, ctx)
  t.equal(lookup(both, 'a.b'), 'literal', 'literal wins over the path')
  const deep = buildVariables({ id: 'e', account: 'a', data: { a: { 'b.c': 'inner literal', b: { c: 'path' } } } }, ctx)
  t.equal(lookup(deep, 'a.b.c'), 'inner literal', 'at every level')
  const fallback = buildVariables({ id: 'e', account: 'a', data: { 'a.b': { x: 1 }, a: { b: { c: 2 } } } }, ctx)
  t.equal(lookup(fallback, 'a.b.c'), 2, 'a literal prefix that leads nowhere falls back to the path')
})

t.test('an absent variable is undefined, whatever the shape of the way to it', async (t) => {
  const v = buildVariables(envelope, ctx)
  for (const name of ['missing', 'id.x', 'price.x', 'error.code.x', 'items.0', 'a.', '[0]', 'error..code']) {
    t.equal(lookup(v, name), undefined, name)
  }
  const nulls = buildVariables({ id: 'e', account: 'a', data: { n: null } }, ctx)
  t.equal(lookup(nulls, 'n'), null, 'null is present')
  t.equal(lookup(nulls, 'n.x'), undefined)
})

t.test('_event.* carries the envelope and routing facts', async (t) => {
  const v = buildVariables({ ...envelope, profile: 'named' }, ctx)
  t.equal(lookup(v, '_event.id'), 'evt_1')
  t.equal(lookup(v, '_event.account'), 'acme')
  t.equal(lookup(v, '_event.channel'), 'sms')
  t.equal(lookup(v, '_event.name'), 'sms-send')
  t.equal(lookup(v, '_event.occurredAt'), '2026-11-24T10:00:00Z')
  t.equal(lookup(v, '_event.profile'), 'acme-sms', 'the profile being delivered to')
  const bare = buildVariables({ id: 'e2', account: 'a', data: {} }, ctx)
  t.equal(lookup(bare, '_event.occurredAt'), undefined)
})

t.test('a data key named _event cannot shadow the envelope', async (t) => {
  const v = buildVariables({ id: 'e', account: 'a', data: { _event: { id: 'forged' } } }, ctx)
  t.equal(lookup(v, '_event.id'), 'e')
})

t.test('plugin toVariables adds variables, merged over the data fields', async (t) => {
  const plugin = {
    name: 'sms', title: 'SMS', events: {}, retry: { maxRetries: 3, intervalSeconds: 10, backoff: 'fixed' },
    toVariables: (env: CallbackEvent, data: Record<string, unknown>) => ({ status: String(data.status).toLowerCase(), account_upper: env.account.toUpperCase() }),
  } satisfies ChannelPlugin
  const v = buildVariables(envelope, ctx, plugin)
  t.equal(lookup(v, 'status'), 'delivered')
  t.equal(lookup(v, 'account_upper'), 'ACME')
  t.equal(lookup(v, 'id'), 'msg-1')
  t.equal((envelope.data as Record<string, unknown>).status, 'DELIVERED', 'data is not modified')
})

t.test('locate returns the keys walked, literal keys as found', async (t) => {
  const v = buildVariables({ id: 'e', account: 'a', data: { a: { 'b.c': [0, { d: 1 }] } } }, ctx)
  t.same(compilePath('a.b.c[1].d').locate(v), ['a', 'b.c', 1, 'd'])
  t.equal(compilePath('a.x').locate(v), undefined)
})
