// The plugin kit: checkPluginConformance (callback-router/testing), `plugin check` and
// `plugin new`, on the built-ins, the fax fixture, a scaffolded plugin and broken copies.
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { builtins } from '../plugins'
import sms from '../plugins/sms'
import type { ChannelPlugin } from '../core/plugin/contract'
import { checkPluginConformance, assertPluginConformance } from '../core/testing'
import type { ConformanceReport } from '../core/testing'
import { runCli } from './helpers/daemon-fixture'
import { ROOT } from './helpers/cli'

const smsSend = sms.events['sms-send']

function failing(r: ConformanceReport): string[] {
  return r.failures.map((f) => `${f.check} ${f.member}`)
}

t.test('every built-in plugin passes checkPluginConformance', async (t) => {
  for (const p of builtins) {
    const r = checkPluginConformance(p)
    t.same(r.failures, [], `${p.name} conforms`)
    t.equal(r.plugin, p.name)
    const checks = new Set(r.checks.map((c) => c.check))
    for (const c of ['contract', 'schema', 'examples', 'reachable', 'render', 'encryption'] as const) t.ok(checks.has(c), `${p.name}: ${c} was checked`)
    const formats = r.checks.filter((c) => c.check === 'render').map((c) => c.detail.split(' ')[0])
    for (const f of ['json', 'urlencoded', 'form', 'query']) t.ok(formats.includes(f), `${p.name}: rendered as ${f}`)
    t.equal(r.checks.filter((c) => c.check === 'encryption').length, 6 * Object.keys(p.events).length, `${p.name}: every algorithm, every event`)
  }
})

t.test('the fax fixture (toVariables and its own formatter) conforms, its formatter rendered too', async (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain CommonJS plugin, as an operator writes it
  const fax = require('./fixtures/plugins/fax') as ChannelPlugin
  const r = assertPluginConformance(fax)
  t.ok(r.checks.some((c) => c.check === 'render' && c.detail.startsWith('fax-xml')))
  t.ok(r.checks.some((c) => c.check === 'toVariables' && c.ok))
})

t.test('a wrong example, a missing example of a required field and an unreachable name are named by member', async (t) => {
  const variables = smsSend.variables.map((v) => (v.name === 'status' ? { ...v, example: 'Delivred' } : v)).filter((v) => v.name !== 'to')
  const broken = checkPluginConformance({ ...sms, events: { 'sms-send': { ...smsSend, variables } } })
  t.notOk(broken.ok)
  t.same(failing(broken).sort(), ['examples events.sms-send.variables (to)', 'examples events.sms-send.variables[2] (status)'])
  t.match(broken.failures.find((f) => f.member.includes('(status)'))?.detail, /must be one of "Sent", "Delivered"/)
  t.match(broken.failures.find((f) => f.member.includes('(to)'))?.detail, /missing required property "to"/)
  const ghost = checkPluginConformance({ ...sms, events: { 'sms-send': { ...smsSend, variables: [...smsSend.variables, { name: 'ghost.field', type: 'string', description: 'x', example: undefined }] } } })
  t.same(failing(ghost), [`reachable events.sms-send.variables[${smsSend.variables.length}] (ghost.field)`])
})

t.test('toVariables must be total and pure: a throw, a mutation, a changing answer and a "_" name each fail', async (t) => {
  let n = 0
  const cases: Array<[string, ChannelPlugin['toVariables'], RegExp]> = [
    ['throws', () => { throw new Error('boom') }, /threw: boom/],
    ['mutates', (_e, d) => { d.status = 'x'; return {} }, /changed its arguments/],
    ['changes', () => ({ n: n++ }), /answered differently/],
    ['reserved', () => ({ _secret: 1 }), /reserved for _event/],
    ['not an object', () => null as unknown as Record<string, unknown>, /returned null/],
  ]
  for (const [label, toVariables, detail] of cases) {
    const r = checkPluginConformance({ ...sms, toVariables })
    t.notOk(r.ok, label)
    t.ok(r.failures.length > 0 && r.failures.every((f) => f.check === 'toVariables' && f.member === 'toVariables (sms-send)'), `${label}: only toVariables fails`)
    t.match(r.failures[0].detail, detail, label)
  }
})

t.test('a contract violation stops the kit with the contract rows; a throwing formatter fails its render', async (t) => {
  const { payloadSchema: _dropped, ...noSchema } = smsSend
  const r = checkPluginConformance({ ...sms, events: { 'sms-send': noSchema } })
  t.same(failing(r), ['contract events.sms-send.payloadSchema'])
  t.same(failing(checkPluginConformance(42)), ['contract (export)'])
  const fmt = checkPluginConformance({ ...sms, formatters: { xml: () => { throw new Error('no xml today') } } })
  t.same(failing(fmt), ['render events.sms-send'])
  t.match(fmt.failures[0].detail, /^xml body .*threw: .*no xml today/)
  t.throws(() => assertPluginConformance({ ...sms, formatters: { xml: () => { throw new Error('x') } } }), /fails 1 conformance check/)
})

async function scaffold(t: Test, name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cr-kit-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const r = await runCli(['plugin', 'new', name, '--dir', join(dir, name)])
  t.equal(r.code, 0, r.stderr)
  return join(dir, name)
}

t.test('plugin new rcs writes a plugin that plugin check passes untouched, and whose own test passes', async (t) => {
  const dir = await scaffold(t, 'rcs')
  const check = await runCli(['plugin', 'check', dir])
  t.equal(check.code, 0, check.stderr)
  t.match(check.stdout, /plugin rcs: all \d+ checks pass/)
  t.match(check.stdout, /^check\s+member\s+result\s+detail/)
  const json = await runCli(['plugin', 'check', dir, '--json'])
  const report = JSON.parse(json.stdout) as ConformanceReport
  t.equal(report.ok, true)
  t.same(report.failures, [])
  t.ok(report.checks.some((c) => c.check === 'toVariables' && c.ok), 'its toVariables is checked')
  // Plain node loads it as written; its own test uses callback-router/testing as an installed package would.
  const load = spawnSync(process.execPath, ['-e', `const p = require(${JSON.stringify(dir)}); console.log(p.name, Object.keys(p.events).join())`], { encoding: 'utf8' })
  t.equal(load.stdout.trim(), 'rcs message_status')
  await mkdir(join(dir, 'node_modules'))
  await symlink(ROOT, join(dir, 'node_modules', 'callback-router'), 'dir')
  const ownTest = spawnSync(process.execPath, ['--test'], { cwd: dir, encoding: 'utf8', timeout: 120_000 })
  t.equal(ownTest.status, 0, ownTest.stdout + ownTest.stderr)
  t.match(ownTest.stdout, /# pass 2/)
})

t.test('a copy with a broken example, a missing payload schema or a throwing toVariables: plugin check exits 1 naming the member', async (t) => {
  const dir = await scaffold(t, 'rcs')
  const copy = async (label: string, edit: (files: { index: string; schema: string }) => { index: string; schema: string }): Promise<string> => {
    const target = `${dir}-${label}`
    await cp(dir, target, { recursive: true })
    t.teardown(() => rm(target, { recursive: true, force: true }))
    const index = await readFile(join(target, 'index.js'), 'utf8')
    const schema = await readFile(join(target, 'message_status.schema.json'), 'utf8')
    const edited = edit({ index, schema })
    t.not(edited.index + edited.schema, index + schema, `${label}: the copy was edited`)
    await writeFile(join(target, 'index.js'), edited.index)
    await writeFile(join(target, 'message_status.schema.json'), edited.schema)
    return target
  }
  const cases: Array<[string, string, RegExp]> = [
    [await copy('example', (f) => ({ ...f, schema: f.schema.replace(/("examples": \[\s*)"delivered"/, '$1"delivred"') })), 'examples events.message_status.variables[2] (status)', /must be one of/],
    [await copy('schema', (f) => ({ ...f, index: f.index.replace('payloadSchema: messageStatus,', '') })), 'contract events.message_status.payloadSchema', /missing/],
    [await copy('throws', (f) => ({ ...f, index: f.index.replace("({ final: data.status !== 'sent' })", "{ throw new Error('no status map') }") })), 'toVariables toVariables (message_status)', /threw: no status map/],
  ]
  for (const [target, member, detail] of cases) {
    const r = await runCli(['plugin', 'check', target, '--json'])
    t.equal(r.code, 1, member)
    const report = JSON.parse(r.stdout) as ConformanceReport
    t.same([...new Set(failing(report))], [member])
    t.match(report.failures[0].detail, detail)
    const table = await runCli(['plugin', 'check', target])
    t.equal(table.code, 1)
    t.match(table.stdout, new RegExp(`${member.split(' ')[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*FAIL`))
    t.match(table.stdout, /checks fail/)
  }
})

t.test('plugin new refuses a name that cannot be a subject token, a built-in name and a folder with files', async (t) => {
  for (const bad of ['a.b', 'RCS', 'x>', 'with space', '*']) {
    const r = await runCli(['plugin', 'new', bad, '--dir', join(tmpdir(), 'cr-kit-never')])
    t.equal(r.code, 2, bad)
    t.match(r.stderr, /PLUGIN_NAME_INVALID/, bad)
  }
  const taken = await runCli(['plugin', 'new', 'sms', '--dir', join(tmpdir(), 'cr-kit-never')])
  t.equal(taken.code, 2)
  t.match(taken.stderr, /PLUGIN_NAME_TAKEN/)
  const dir = await scaffold(t, 'rcs')
  const again = await runCli(['plugin', 'new', 'rcs', '--dir', dir])
  t.equal(again.code, 1)
  t.match(again.stderr, /PLUGIN_DIR_NOT_EMPTY/)
  const missing = await runCli(['plugin', 'check', join(dir, 'nope')])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /cannot load plugin/)
})
