import t from 'tap'
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { builtins } from '../plugins'
import { PluginRegistry, loadExternalPlugins } from '../core/plugin/registry'
import { checkProfile } from '../core/config/profile-check'
import { compileProfile } from '../core/render/compile'
import { loadConfig } from '../core/config/settings'
import { sampleData } from '../core/plugin/sample-data'
import { createAjv } from '../core/config/schema'
import { listVariables } from '../core/cli/variables'
import { checkPlugin } from '../core/plugin/contract'

const FIXTURES = join(__dirname, 'fixtures')
const faxProfile = {
  id: 'acme-fax',
  title: 'ACME fax reports',
  account: 'acme',
  channel: 'fax',
  events: ['fax-sent'],
  method: 'POST',
  endpoint: 'http://127.0.0.1:8788/callbacks/fax?id=<id>',
  format: 'fax-xml',
  body: { id: '<id>', status: '<status>', pages: '<pages_label>', code: '<error.code>' },
}

async function registryWithFax(): Promise<PluginRegistry> {
  const registry = new PluginRegistry(builtins)
  const errors = await loadExternalPlugins(registry, ['./plugins/fax'], FIXTURES)
  if (errors.length) throw new Error(JSON.stringify(errors))
  return registry
}

t.test('an external plugin loads through the same contract: its channel, event, catalog and formatter join the built-ins', async (t) => {
  const registry = await registryWithFax()
  t.same(registry.names, ['sms', 'email', 'voice', 'whatsapp', 'default', 'fax'])
  t.same(registry.eventsOf('fax'), ['fax-sent'])
  t.ok(registry.pluginFormatters().has('fax-xml'))
  const spec = registry.eventSpec('fax', 'fax-sent')!
  const data = sampleData(spec)
  t.same(data, { id: 'fax_20c1', to: '+4930123456', status: 'delivered', pages: 3, error: { code: '0' }, pages_label: '3 page(s)' })
  t.ok(createAjv().compile(spec.payloadSchema)(data), "the plugin's examples form a valid sample")
})

t.test('a profile is validated against the external plugin: its events, variables and format', async (t) => {
  const registry = await registryWithFax()
  const ok = checkProfile(faxProfile, '/cfg/profiles/fax.json', registry)
  t.same(ok.diagnostics, [])
  const badEvent = checkProfile({ ...faxProfile, events: ['fax-received'] }, '/cfg/profiles/fax.json', registry)
  t.same(badEvent.diagnostics.filter((d) => d.code === 'CONFIG_UNKNOWN_EVENT').map((d) => d.message), ['channel "fax" has no event "fax-received" (events: fax-sent)'])
  const typo = checkProfile({ ...faxProfile, body: { s: '<stauts>' } }, '/cfg/profiles/fax.json', registry)
  t.same(typo.diagnostics.map((d) => `${d.code}:${d.pointer}`), ['CONFIG_UNKNOWN_VARIABLE:/body/s'])
  t.match(typo.diagnostics[0].message, /did you mean <status>/)
  const unknownFormat = checkProfile({ ...faxProfile, format: 'fax-pdf' }, '/cfg/profiles/fax.json', registry)
  t.match(unknownFormat.diagnostics.map((d) => d.message), [/unknown format "fax-pdf" \(known: json, urlencoded, form, fax-xml\)/])
})

t.test("the plugin's formatter gives the bytes sent, with derived variables from toVariables", async (t) => {
  const registry = await registryWithFax()
  const { profile } = checkProfile(faxProfile, '/cfg/profiles/fax.json', registry)
  const compiled = compileProfile(profile!, registry)
  const data = sampleData(registry.eventSpec('fax', 'fax-sent')!)
  const req = compiled.render({ id: 'evt_1', account: 'acme', data }, { event: 'fax-sent', channel: 'fax', timestamp: 1_800_000_000 })
  t.equal(req.url, 'http://127.0.0.1:8788/callbacks/fax?id=fax_20c1')
  t.equal(req.headers['content-type'], 'application/xml')
  t.equal(
    Buffer.from(req.body!).toString('utf8'),
    '<fax><field name="id">fax_20c1</field><field name="status">delivered</field><field name="pages">3 page(s)</field><field name="code">0</field></fax>',
  )
})

t.test('a malformed plugin is refused, naming every missing or wrong member', async (t) => {
  const registry = new PluginRegistry(builtins)
  const errors = await loadExternalPlugins(registry, ['./plugins/broken'], FIXTURES)
  t.equal(errors.length, 1)
  t.equal(errors[0].code, 'CONFIG_PLUGIN_INVALID')
  t.match(errors[0].detail, /retry: missing/)
  t.match(errors[0].detail, /events\.page\.variables\[0\]\.example: missing/)
  t.notOk(registry.get('pager'), 'nothing of it is registered')
})

t.test('plugins listed in the settings load at start; a broken one is reported against /plugins/<i> and the rest still load', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cr-plugins-'))
  await mkdir(join(dir, 'profiles'))
  const settings = join(dir, 'callback-router.json')
  await writeFile(settings, JSON.stringify({ profilesDir: './profiles', plugins: [join(FIXTURES, 'plugins', 'fax'), join(FIXTURES, 'plugins', 'broken'), './missing-plugin'] }))
  await writeFile(join(dir, 'profiles', 'fax.json'), JSON.stringify(faxProfile))
  const config = await loadConfig({ configFile: settings, env: {} })
  t.same(config.profiles.map((p) => p.profile.id), ['acme-fax'])
  t.same(config.diagnostics.map((d) => `${d.level}:${d.code}:${d.pointer}`), ['error:CONFIG_PLUGIN_INVALID:/plugins/1', 'error:CONFIG_PLUGIN_LOAD:/plugins/2'])
  t.match(config.diagnostics[0].message, /retry: missing/)
  t.match(config.diagnostics[1].message, /cannot load/)
  // `variables` shows the external channel like any other.
  const [listing] = listVariables(config.registry, 'fax', 'fax-sent', { select: ['id', 'error.code'], format: 'json' })
  t.equal(listing.snippet, JSON.stringify({ id: '<id>', error: { code: '<error.code>' } }, null, 2))
})

t.test('a plugin cannot replace a built-in format', async (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the fixture is a plain CJS plugin, as an operator would write it
  const fax = require('./fixtures/plugins/fax')
  const plugin = { ...(fax.default ?? fax), formatters: { json: () => ({ body: new Uint8Array(), contentType: 'x/y' }) } }
  t.match(checkPlugin(plugin), [/formatters\.json: "json" is a built-in format/])
})
