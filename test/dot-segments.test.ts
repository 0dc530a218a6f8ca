// Event data can never move a request to another path: a path segment that event data makes
// `.` or `..`, in any spelling URL parsing or a decoding receiver collapses, fails the
// delivery as render_failed with no request sent. Tried as an attacker would.
import t from 'tap'
import { createDeliverer } from '../core/delivery/deliver'
import { createDispatcher } from '../core/delivery/dispatcher'
import type { CallbackEvent } from '../core/generated/event'
import type { Profile } from '../core/generated/profile'
import { PluginRegistry } from '../core/plugin/registry'
import { compileProfile } from '../core/render/compile'
import { isDotSegment } from '../core/render/dot-segments'
import { builtins } from '../plugins/index'
import { startEndpoint } from './helpers/endpoint'

const registry = new PluginRegistry(builtins)
const ctx = { event: 'order_status', channel: 'default', timestamp: 1_700_000_000 }

/** Spellings of `.` and `..` that WHATWG URL parsing, or a receiver decoding once more, collapses. */
const DOT_SPELLINGS = ['.', '..', '%2E', '%2e', '%2e%2E', '%2E%2E', '.%2E', '%2E.', '.%2e', '%252E', '%252E%252E', '.%252e', '%25252E%25252E']
/** Values with dots that stay in place (percent-encoded where needed). */
const DOTTY_BUT_FINE = ['...', '....', '.well-known', '..a', 'a..', '. .', '../x', 'a/../..', '%2E%2E%2E', '%2', '%']

function profileTo(endpoint: string): Profile {
  return { id: 'dots', title: 'Dot segments', account: 'acme', channel: 'default', method: 'GET', endpoint }
}

function envelope(data: Record<string, unknown>): CallbackEvent {
  return { id: 'evt_dots', account: 'acme', data }
}

t.test('isDotSegment reads every spelling of a dot segment, and nothing else', async (t) => {
  for (const s of DOT_SPELLINGS) t.ok(isDotSegment(s), `${s} is a dot segment`)
  for (const s of DOTTY_BUT_FINE) t.notOk(isDotSegment(s), `${s} is not`)
})

t.test('a placeholder value that makes a path segment a dot segment fails the render with render_failed', async (t) => {
  const compiled = compileProfile(profileTo('https://hooks.example/a/b/<ref>/tail?ref=<ref>'), registry)
  for (const ref of DOT_SPELLINGS) {
    t.throws(() => compiled.render(envelope({ ref }), ctx), { code: 'render_failed' }, `ref ${JSON.stringify(ref)}`)
  }
  // Two placeholders that together make one segment: `<x><y>` with "." and ".".
  const joined = compileProfile(profileTo('https://hooks.example/a/<x><y>/tail'), registry)
  t.throws(() => joined.render(envelope({ x: '.', y: '.' }), ctx), { code: 'render_failed' })
  t.throws(() => joined.render(envelope({ x: '%2e', y: '.' }), ctx), { code: 'render_failed' })
  // A literal beside the value: `<x>.` with ".".
  const beside = compileProfile(profileTo('https://hooks.example/a/<x>./tail'), registry)
  t.throws(() => beside.render(envelope({ x: '.' }), ctx), { code: 'render_failed' })
  t.equal(new URL(beside.render(envelope({ x: '..' }), ctx).url).pathname, '/a/.../tail')
})

t.test('other values stay in their segment, percent-encoded; the query string is not a path', async (t) => {
  const compiled = compileProfile(profileTo('https://hooks.example/a/b/<ref>/tail?ref=<ref>'), registry)
  for (const ref of DOTTY_BUT_FINE) {
    const url = new URL(compiled.render(envelope({ ref }), ctx).url)
    t.equal(url.pathname, `/a/b/${encodeURIComponent(ref)}/tail`, `ref ${JSON.stringify(ref)} stays one segment`)
    t.equal(url.searchParams.get('ref'), ref)
  }
  const queryOnly = compileProfile(profileTo('https://hooks.example/a/b/tail?ref=<ref>&next=<next>#<frag>'), registry)
  for (const ref of DOT_SPELLINGS) {
    const url = new URL(queryOnly.render(envelope({ ref, next: '..', frag: '..' }), ctx).url)
    t.equal(url.pathname, '/a/b/tail', `a query value ${JSON.stringify(ref)} moves nothing`)
    t.equal(url.searchParams.get('ref'), ref)
  }
  // A number or an absent value is not a dot segment.
  t.equal(new URL(compiled.render(envelope({ ref: 1.5 }), ctx).url).pathname, '/a/b/1.5/tail')
  t.equal(new URL(compiled.render(envelope({}), ctx).url).pathname, '/a/b//tail')
})

t.test('through the deliverer to a real endpoint: no request is sent, the outcome is render_failed', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  const dispatcher = createDispatcher({ allow: ['127.0.0.1'] })
  t.teardown(() => dispatcher.close())
  const deliverer = createDeliverer({ dispatcher, maxResponseBytes: 1024 })
  const compiled = compileProfile({ ...profileTo(`${ep.url}/a/b/<ref>/tail`), method: 'POST' }, registry)
  for (const ref of DOT_SPELLINGS) {
    const r = await deliverer.attempt(compiled, envelope({ ref }), ctx)
    t.equal(r.outcome, 'render_failed', `ref ${JSON.stringify(ref)}`)
    t.match(r.error, /^render_failed: .*dot segment/)
  }
  t.equal(ep.requests.length, 0, 'no request reached the receiver, at /a/tail or anywhere')
  const fine = await deliverer.attempt(compiled, envelope({ ref: '...' }), ctx)
  t.equal(fine.outcome, 'delivered')
  t.equal(ep.requests[0].pathname, '/a/b/.../tail')
})
