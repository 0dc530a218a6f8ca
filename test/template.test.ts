import t from 'tap'
import fc from 'fast-check'
import { CallbackRouterError } from '../core/errors'
import { compileEndpoint, compileFields, compileHeader, compileJsonBody, compileText, compileUrlencodedString, flattenVariables, textOf } from '../core/render/template'
import { nastyString } from './helpers/arbitraries'

const vars = {
  id: 'msg 1',
  status: 'DELIVERED',
  price: 0.01,
  ok: true,
  none: null,
  error: { code: 'E1', n: 2 },
  list: [1, 'a'],
  'parts[n]': 'SAMPLE',
  _event: { id: 'evt_1', account: 'acme' },
}

function code(fn: () => unknown): string | undefined {
  try { fn() } catch (e) { return e instanceof CallbackRouterError ? e.code : `not a CallbackRouterError: ${String(e)}` }
  return undefined
}

t.test('text templates keep literal text and fill placeholders', async (t) => {
  t.equal(compileText('Status <status> for <id>.')(vars), 'Status DELIVERED for msg 1.')
  t.equal(compileText('no placeholders')(vars), 'no placeholders')
  t.equal(compileText('')(vars), '')
  t.equal(compileText('<parts[n]>/<_event.id>/<error.code>')(vars), 'SAMPLE/evt_1/E1')
})

t.test('inside text a number or boolean renders as its JSON text, an object or array as compact JSON', async (t) => {
  t.equal(compileText('p=<price> ok=<ok> e=<error> l=<list>')(vars), 'p=0.01 ok=true e={"code":"E1","n":2} l=[1,"a"]')
})

t.test('an absent variable renders as an empty string (null too)', async (t) => {
  t.equal(compileText('[<missing>][<none>][<error.nope>]')(vars), '[][][]')
})

t.test('any other < is literal text', async (t) => {
  t.equal(compileText('a < b, <1x>, <not a name>, <>, <<id>>, <id')(vars), 'a < b, <1x>, <not a name>, <>, <msg 1>, <id')
})

t.test('textOf: the text form of each JSON type', async (t) => {
  t.equal(textOf('s'), 's')
  t.equal(textOf(-1.5e-7), '-1.5e-7')
  t.equal(textOf(false), 'false')
  t.equal(textOf(undefined), '')
  t.equal(textOf(null), '')
  t.equal(textOf({ a: [1] }), '{"a":[1]}')
})

t.test('GET endpoint: variables pasted at the end of the endpoint URL are URL-encoded query values', async (t) => {
  const render = compileEndpoint('https://customer-endpoint/kaleyra/callbacks?id=<id>&status=<status>&q=<q>&e=<error>')
  const url = new URL(render({ ...vars, q: 'a&b=c+d%#?/ é' }))
  t.equal(url.searchParams.get('id'), 'msg 1')
  t.equal(url.searchParams.get('q'), 'a&b=c+d%#?/ é')
  t.equal(url.searchParams.get('e'), '{"code":"E1","n":2}')
  t.equal(url.hash, '', 'a # in a value does not start a fragment')
  t.same([...url.searchParams.keys()], ['id', 'status', 'q', 'e'], 'no value adds a parameter')
})

t.test('endpoint: a value in the path stays one segment', async (t) => {
  const render = compileEndpoint('https://h.example/a/<id>/b')
  const url = new URL(render({ id: '../x/y?z' }))
  t.equal(url.pathname, '/a/..%2Fx%2Fy%3Fz/b')
  t.equal(url.host, 'h.example')
})

t.test('property: any string value in the endpoint query decodes back to itself', async () => {
  const render = compileEndpoint('https://h.example/cb?v=<v>&w=1')
  fc.assert(fc.property(nastyString, (v) => {
    const url = new URL(render({ v }))
    if (url.searchParams.get('v') !== v) throw new Error('query value changed')
    if (url.searchParams.get('w') !== '1') throw new Error('another parameter changed')
  }), { numRuns: 300 })
})

t.test('property: any string value in an endpoint path segment decodes back to itself', async () => {
  const render = compileEndpoint('https://h.example/cb/<v>/end')
  fc.assert(fc.property(nastyString, (v) => {
    const url = new URL(render({ v }))
    const seg = url.pathname.split('/')
    if (seg.length !== 4 || decodeURIComponent(seg[2]) !== v) throw new Error('path changed')
  }), { numRuns: 300 })
})

t.test('headers: a value from event data with control characters fails the render (render_failed)', async (t) => {
  const render = compileHeader('X-Ref', 'ref-<id>')
  t.equal(render({ id: 'abc\tdef' }), 'ref-abc\tdef', 'a tab is allowed')
  t.equal(render({ id: 'José' }), 'ref-José', 'Latin-1 is allowed')
  for (const bad of ['a\r\nX-Injected: 1', 'a\nb', 'nul\u0000', 'del\u007f', 'snow ☃']) t.equal(code(() => render({ id: bad })), 'render_failed', JSON.stringify(bad))
})

t.test('json object body: a string that is exactly one placeholder keeps the variable JSON type', async (t) => {
  const render = compileJsonBody({ id: '<id>', price: '<price>', ok: '<ok>', e: '<error>', l: '<list>', gone: '<missing>', n: '<none>', nested: [{ code: '<error.code>' }] })
  t.same(JSON.parse(render(vars)), { id: 'msg 1', price: 0.01, ok: true, e: { code: 'E1', n: 2 }, l: [1, 'a'], gone: null, n: null, nested: [{ code: 'E1' }] })
})

t.test('json object body: placeholders inside longer strings render as text, JSON-escaped', async (t) => {
  const render = compileJsonBody({ msg: 'Price: <price> (<status>) <missing>!', quote: 'say "<q>"', lt: 'a < b' })
  t.same(JSON.parse(render({ ...vars, q: 'he said "hi"\n\\' })), { msg: 'Price: 0.01 (DELIVERED) !', quote: 'say "he said "hi"\n\\"', lt: 'a < b' })
})

t.test('json object body: non-string values and keys are kept; a placeholder in a key renders as text', async (t) => {
  const render = compileJsonBody({ n: 1, b: false, z: null, a: [], '<status>': '<id>', '<price>': 'x' })
  t.same(JSON.parse(render(vars)), { n: 1, b: false, z: null, a: [], DELIVERED: 'msg 1', '0.01': 'x' })
})

t.test('json string body: pasted JSON with bare <price> placeholders keeps types and the pasted bytes', async (t) => {
  const pasted = '{\n  "price": <price>,\n  "to": "<id>",\n  "ok": <ok>, "list": [<price>, <missing>],\n  "text": "a < b and <status>"\n}'
  const out = compileJsonBody(pasted)(vars)
  t.equal(out, '{\n  "price": 0.01,\n  "to": "msg 1",\n  "ok": true, "list": [0.01, null],\n  "text": "a < b and DELIVERED"\n}')
})

t.test('json string body that is not JSON once filled is refused at compile time', async (t) => {
  t.equal(code(() => compileJsonBody('{"a": <id> <id>}')), 'CONFIG_BODY_INVALID_JSON')
  t.equal(code(() => compileJsonBody('{"a": "unterminated')), 'CONFIG_BODY_INVALID_JSON')
  t.equal(code(() => compileJsonBody('{"a": < 3}')), 'CONFIG_BODY_INVALID_JSON')
})

t.test('json body escapes in pasted strings survive untouched', async (t) => {
  const out = compileJsonBody('{"a": "x\\"<id>\\"\\n\\u003c"}')(vars)
  t.same(JSON.parse(out), { a: 'x"msg 1"\n<' })
})

t.test('property: any string value survives a json body, as text or typed', async () => {
  const render = compileJsonBody({ typed: '<v>', text: 'pre <v> post', pasted: 0 })
  const pasted = compileJsonBody('{"bare": <v>, "q": "<v>!"}')
  fc.assert(fc.property(nastyString, (v) => {
    const a = JSON.parse(render({ v })) as Record<string, unknown>
    if (a.typed !== v || a.text !== `pre ${v} post`) throw new Error('object body changed the value')
    const b = JSON.parse(pasted({ v })) as Record<string, unknown>
    if (b.bare !== v || b.q !== `${v}!`) throw new Error('pasted body changed the value')
  }), { numRuns: 300 })
})

t.test('property: any JSON value keeps its type and value as a sole placeholder', async () => {
  const render = compileJsonBody({ v: '<v>' })
  fc.assert(fc.property(fc.jsonValue(), (v) => {
    const back = (JSON.parse(render({ v })) as { v: unknown }).v
    if (JSON.stringify(back) !== JSON.stringify(JSON.parse(JSON.stringify(v)))) throw new Error('type or value changed')
  }), { numRuns: 200 })
})

t.test('fields: a flat object of field -> template renders in order as text', async (t) => {
  const render = compileFields({ id: '<id>', price: '<price>', fixed: 7, label: 'x=<status>' })
  t.same(render(vars), [['id', 'msg 1'], ['price', '0.01'], ['fixed', '7'], ['label', 'x=DELIVERED']])
  t.equal(code(() => compileFields({ nested: { a: '<id>' } })), 'CONFIG_BODY_SHAPE')
})

t.test('urlencoded template string: values form-encoded, literal text kept', async (t) => {
  const render = compileUrlencodedString('id=<id>&q=<q>&fixed=a+b')
  const out = render({ id: 'msg 1', q: 'a&b=c+%' })
  t.equal(out, 'id=msg+1&q=a%26b%3Dc%2B%25&fixed=a+b')
  t.same(Object.fromEntries(new URLSearchParams(out)), { id: 'msg 1', q: 'a&b=c+%', fixed: 'a b' })
})

t.test('property: any string value survives a urlencoded template string', async () => {
  const render = compileUrlencodedString('a=<v>&b=<v>x')
  fc.assert(fc.property(nastyString, (v) => {
    const p = new URLSearchParams(render({ v }))
    if (p.get('a') !== v || p.get('b') !== `${v}x`) throw new Error('value changed')
  }), { numRuns: 300 })
})

t.test('flattenVariables: every variable as a flat dotted key, arrays as compact JSON', async (t) => {
  t.same(flattenVariables(vars), [
    ['id', 'msg 1'], ['status', 'DELIVERED'], ['price', '0.01'], ['ok', 'true'], ['none', ''],
    ['error.code', 'E1'], ['error.n', '2'], ['list', '[1,"a"]'], ['parts[n]', 'SAMPLE'],
    ['_event.id', 'evt_1'], ['_event.account', 'acme'],
  ])
  t.same(flattenVariables({ empty: {}, u: undefined, deep: { a: { b: [{ c: 1 }] } } }), [['empty', '{}'], ['deep.a.b', '[{"c":1}]']])
})

t.test('a lone surrogate, which UTF-8 cannot carry, is sent as U+FFFD instead of failing', async (t) => {
  t.equal(new URL(compileEndpoint('https://h.example/?v=<v>')({ v: 'a\uD800b' })).searchParams.get('v'), 'a\uFFFDb')
  t.equal(new URLSearchParams(compileUrlencodedString('v=<v>')({ v: '\uDC00' })).get('v'), '\uFFFD')
  t.equal((JSON.parse(compileJsonBody({ v: '<v>' })({ v: 'a\uD800' })) as { v: string }).v, 'a\uD800', 'JSON escapes it and keeps it')
})
