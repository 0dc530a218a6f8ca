import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { builtins } from '../plugins'
import { PluginRegistry } from '../core/plugin/registry'
import { checkProfile } from '../core/config/profile-check'
import { compileProfile } from '../core/render/compile'
import { sampleData } from '../core/plugin/sample-data'
import { buildSnippet } from '../core/plugin/snippet'
import { listVariables } from '../core/cli/variables'
import { cliArgs } from './helpers/cli'

const ROOT = join(__dirname, '..')
const registry = new PluginRegistry(builtins)

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [...cliArgs(), ...args], { encoding: 'utf8', cwd: ROOT })
}

t.test('`variables sms` prints the catalog as a table and the query snippet of every variable', async (t) => {
  const r = cli('variables', 'sms')
  t.equal(r.status, 0, r.stderr)
  const lines = r.stdout.split('\n')
  t.match(lines[0], /^sms sms-send \(18 variables\)$/)
  t.match(lines[1], /^NAME\s+TYPE\s+EXAMPLE\s+DESCRIPTION$/)
  for (const v of builtins[0].events['sms-send'].variables) t.ok(lines.some((l) => l.startsWith(v.name + ' ')), v.name)
  t.ok(lines.includes('query snippet (paste after ? in a GET endpoint):'))
  t.ok(lines.includes(builtins[0].events['sms-send'].variables.map((v) => `${v.name}=<${v.name}>`).join('&')))
})

t.test("`--select to,status` gives the reference page's GET snippet, ready to paste after ?", async (t) => {
  const r = cli('variables', 'sms', 'sms-send', '--select', 'to,status')
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stdout.trimEnd().split('\n').at(-1), 'to=<to>&status=<status>')
})

t.test('`--format json` mirrors nesting; `--json` prints { channel, event, variables, snippet }', async (t) => {
  const r = cli('variables', 'sms', 'sms-send', '--select', 'id, error.code,price', '--format', 'json', '--json')
  t.equal(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  t.same(Object.keys(out), ['channel', 'event', 'variables', 'snippet'])
  t.same([out.channel, out.event], ['sms', 'sms-send'])
  t.same(out.variables.map((v: Record<string, unknown>) => Object.keys(v)), [['name', 'type', 'description', 'example'], ['name', 'type', 'description', 'example'], ['name', 'type', 'description', 'example']])
  t.same(out.variables.map((v: { name: string }) => v.name), ['id', 'error.code', 'price'])
  t.same(JSON.parse(out.snippet), { id: '<id>', error: { code: '<error.code>' }, price: '<price>' })
})

t.test('without an event, `--json` prints an array with one entry per event', async (t) => {
  const r = cli('variables', 'whatsapp', '--json')
  t.equal(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  t.same(out.map((l: { event: string }) => l.event), Object.keys(builtins[3].events))
  for (const l of out) t.same(l.variables, builtins[3].events[l.event].variables)
})

t.test('bad usage exits 2 with a clear message', async (t) => {
  const channel = cli('variables', 'telex')
  t.equal(channel.status, 2)
  t.match(channel.stderr, /unknown channel "telex" \(channels: sms, email, voice, whatsapp, default\)/)
  const event = cli('variables', 'whatsapp', 'message_statu')
  t.equal(event.status, 2)
  t.match(event.stderr, /channel "whatsapp" has no event "message_statu" \(did you mean "message_status"\?\)/)
  const select = cli('variables', 'sms', '--select', 'to,stauts')
  t.equal(select.status, 2)
  t.match(select.stderr, /"stauts" is not a variable of sms \(did you mean "status"\?\)/)
  const format = cli('variables', 'sms', '--format', 'xml')
  t.equal(format.status, 2)
  t.match(format.stderr, /unknown format "xml" \(formats: query, json, urlencoded, form\)/)
  t.equal(cli('variables').status, 2, 'a missing channel is bad usage')
})

t.test("an external plugin listed in the settings shows up in `variables`", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cr-vars-'))
  await mkdir(join(dir, 'profiles'))
  await writeFile(join(dir, 'settings.json'), JSON.stringify({ plugins: [join(__dirname, 'fixtures', 'plugins', 'fax')] }))
  const r = cli('--config', join(dir, 'settings.json'), 'variables', 'fax', '--json', '--select', 'id,status')
  t.equal(r.status, 0, r.stderr)
  t.same(JSON.parse(r.stdout).map((l: { event: string; snippet: string }) => [l.event, l.snippet]), [['fax-sent', 'id=<id>&status=<status>']])
})

t.test('form and urlencoded snippets: a flat field object, and the same a=<a>&b=<b> text as the query', async (t) => {
  const [form] = listVariables(registry, 'sms', 'sms-send', { select: ['to', 'error.code'], format: 'form' })
  t.equal(form.snippet, '{\n  "to": "<to>",\n  "error.code": "<error.code>"\n}')
  const [url] = listVariables(registry, 'sms', 'sms-send', { select: ['to', 'error.code'], format: 'urlencoded' })
  t.equal(url.snippet, 'to=<to>&error.code=<error.code>')
})

t.test('array variables are pasted with index 0; envelope variables may be selected', async (t) => {
  const [l] = listVariables(registry, 'whatsapp', 'incoming_message', { select: ['contacts[n].name', 'location', 'location.latitude', '_event.id'], format: 'json' })
  t.same(JSON.parse(l.snippet), { contacts: [{ name: '<contacts[0].name>' }], location: '<location>', _event: { id: '<_event.id>' } })
  t.equal(buildSnippet(['contacts[n].name'], 'query'), 'contacts[0].name=<contacts[0].name>')
  t.equal(buildSnippet(['parts[n]'], 'query', { type: 'object', properties: { 'parts[n]': { type: 'string' } } }), 'parts[n]=<parts[n]>', 'a literal key stays as written')
})

t.test('the default channel shows its generic catalog, and for a named event every channel catalog of it too', async (t) => {
  const [generic] = listVariables(registry, 'default')
  t.equal(generic.event, '*')
  t.same(generic.variables, builtins[4].events['*'].variables)
  const [named] = listVariables(registry, 'default', 'message_status')
  t.same(named.variables.slice(0, generic.variables.length), generic.variables)
  t.ok(named.variables.some((v) => v.name === 'error_code'), 'the WhatsApp message_status catalog is included')
  const [custom] = listVariables(registry, 'default', 'order-shipped')
  t.same(custom.variables, generic.variables)
})

t.test('pasted snippets pass validation and render the example values, types kept in JSON', async (t) => {
  for (const p of builtins.filter((b) => !b.catchAll)) {
    for (const [event, spec] of Object.entries(p.events)) {
      const data = sampleData(spec)
      const envelope = { id: 'evt_1', account: 'acme', data }
      const ctx = { event, channel: p.name, timestamp: 1_800_000_000 }
      const [json] = listVariables(registry, p.name, event, { format: 'json' })
      const post = checkProfile({ id: 'p', title: 'Pasted JSON', account: 'acme', channel: p.name, events: [event], endpoint: 'http://127.0.0.1:8788/cb', body: JSON.parse(json.snippet) }, 'p.json', registry)
      t.same(post.diagnostics, [], `${p.name} ${event} json`)
      const body = JSON.parse(Buffer.from(compileProfile(post.profile!, registry).render(envelope, ctx).body!).toString('utf8'))
      t.same(body, data, `${p.name} ${event}: the JSON snippet renders the sample data back`)

      const [query] = listVariables(registry, p.name, event, { format: 'query' })
      const get = checkProfile({ id: 'g', title: 'Pasted query', account: 'acme', channel: p.name, events: [event], method: 'GET', endpoint: `http://127.0.0.1:8788/cb?${query.snippet}` }, 'g.json', registry)
      t.same(get.diagnostics, [], `${p.name} ${event} query`)
      const url = new URL(compileProfile(get.profile!, registry).render(envelope, ctx).url)
      for (const v of spec.variables.filter((x) => typeof x.example === 'string')) {
        t.equal(url.searchParams.get(v.name.replace(/\[n\]/g, '[0]')), v.example, `${p.name} ${event} ${v.name} in the query`)
      }
    }
  }
})
