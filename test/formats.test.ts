import t from 'tap'
import fc from 'fast-check'
import { Response } from 'undici'
import { builtinFormatters, formatMultipart, formatUrlencoded, formatJson, randomBoundary } from '../core/render/formats'
import type { RenderedFields } from '../core/plugin/contract'
import { nastyString } from './helpers/arbitraries'

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8')

async function parseMultipart(body: Uint8Array, contentType: string): Promise<[string, string][]> {
  const form = await new Response(body, { headers: { 'content-type': contentType } }).formData()
  return [...form.entries()].map(([k, v]) => [k, String(v)])
}

t.test('json formatter: a flat object of the fields, application/json', async (t) => {
  const out = formatJson([['id', 'm1'], ['price', '0.01']])
  t.equal(out.contentType, 'application/json')
  t.same(JSON.parse(text(out.body)), { id: 'm1', price: '0.01' })
})

t.test('urlencoded formatter: name=value pairs in order, space as +, parsed back by URLSearchParams', async (t) => {
  const out = formatUrlencoded([['id', 'm 1'], ['q', 'a&b=c+d%']])
  t.equal(out.contentType, 'application/x-www-form-urlencoded')
  t.equal(text(out.body), 'id=m+1&q=a%26b%3Dc%2Bd%25')
  t.same([...new URLSearchParams(text(out.body))], [['id', 'm 1'], ['q', 'a&b=c+d%']])
})

t.test('multipart formatter writes RFC 7578 parts byte for byte with a fixed boundary', async (t) => {
  const out = formatMultipart([['id', 'm1'], ['text', 'a\r\nb']], 'XyZ')
  t.equal(out.contentType, 'multipart/form-data; boundary=XyZ')
  t.equal(text(out.body), '--XyZ\r\nContent-Disposition: form-data; name="id"\r\n\r\nm1\r\n--XyZ\r\nContent-Disposition: form-data; name="text"\r\n\r\na\r\nb\r\n--XyZ--\r\n')
})

t.test('multipart boundaries are random per request', async (t) => {
  const a = builtinFormatters.form([['x', '1']])
  const b = builtinFormatters.form([['x', '1']])
  t.not(a.contentType, b.contentType)
  t.match(randomBoundary(), /^----callback-router-[0-9a-f]{32}$/)
})

t.test('an empty field list gives an empty but valid body in each format', async (t) => {
  t.equal(text(builtinFormatters.json([]).body), '{}')
  t.equal(text(builtinFormatters.urlencoded([]).body), '')
  const form = builtinFormatters.form([])
  t.same(await parseMultipart(form.body, form.contentType), [])
})

t.test('multipart field names with quotes and line breaks are escaped as browsers do', async (t) => {
  const out = formatMultipart([['a"b\nc', 'v']], 'B')
  t.match(text(out.body), 'name="a%22b%0Ac"')
})

t.test('property: any field values survive urlencoded, as URLSearchParams decodes them', async () => {
  fc.assert(fc.property(fc.array(fc.tuple(nastyString, nastyString), { maxLength: 6 }), (fields: [string, string][]) => {
    const out = formatUrlencoded(fields)
    const back = [...new URLSearchParams(text(out.body))]
    if (JSON.stringify(back) !== JSON.stringify(fields)) throw new Error(`mismatch: ${JSON.stringify(back)}`)
  }), { numRuns: 300 })
})

t.test('property: any field values survive multipart, as an independent parser (undici) decodes them', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.stringMatching(/^[a-z_.[\]0-9]{1,12}$/), nastyString), { maxLength: 5 }), async (fields: [string, string][]) => {
    const out = builtinFormatters.form(fields)
    const back = await parseMultipart(out.body, out.contentType)
    if (JSON.stringify(back) !== JSON.stringify(fields)) throw new Error(`mismatch: ${JSON.stringify(back)} vs ${JSON.stringify(fields)}`)
  }), { numRuns: 100 })
})

t.test('property: any field values survive the flat json formatter', async () => {
  fc.assert(fc.property(fc.uniqueArray(fc.tuple(nastyString, nastyString), { selector: (f) => f[0], maxLength: 6 }), (fields: [string, string][]) => {
    const back = JSON.parse(text(formatJson(fields as RenderedFields).body)) as Record<string, string>
    for (const [k, v] of fields) if (back[k] !== v) throw new Error(`mismatch at ${k}`)
  }), { numRuns: 300 })
})

t.test('a field value that holds the next boundary gets a fresh random boundary instead', async (t) => {
  const first = builtinFormatters.form([['x', '1']]).contentType.split('boundary=')[1]
  const [prefix, counter] = [first.slice(0, first.lastIndexOf('-') + 1), parseInt(first.slice(first.lastIndexOf('-') + 1), 36)]
  const next = prefix + (counter + 1).toString(36)
  const out = builtinFormatters.form([['trap', `--${next}\r\nContent-Disposition: form-data; name="evil"\r\n\r\nx`]])
  const boundary = out.contentType.split('boundary=')[1]
  t.not(boundary, next)
  t.match(boundary, /^----callback-router-[0-9a-f]{32}$/)
  t.same(await parseMultipart(out.body, out.contentType), [['trap', `--${next}\r\nContent-Disposition: form-data; name="evil"\r\n\r\nx`]])
})
