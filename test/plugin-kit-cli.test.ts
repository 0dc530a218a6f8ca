// `plugin new` and `plugin check` as a user runs them: a scaffolded plugin passes check
// untouched and its own test, broken copies exit 1 naming the member, bad names are refused.
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ConformanceReport } from '../core/testing'
import { scaffoldPlugin, checkPluginName } from '../core/cli/plugin-scaffold'
import { runCli } from './helpers/daemon-fixture'
import { ROOT } from './helpers/cli'

function failing(r: ConformanceReport): string[] {
  return r.failures.map((f) => `${f.check} ${f.member}`)
}

/** A fresh scaffold; through the CLI once (the first test), directly elsewhere to spare spawns. */
async function scaffold(t: Test, name: string, viaCli = false): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cr-kit-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  if (!viaCli) {
    await scaffoldPlugin(name, join(dir, name))
    return join(dir, name)
  }
  const r = await runCli(['plugin', 'new', name, '--dir', join(dir, name)])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /wrote plugin "rcs"/)
  return join(dir, name)
}

t.test('plugin new rcs writes a plugin that plugin check passes untouched, and whose own test passes', async (t) => {
  const dir = await scaffold(t, 'rcs', true)
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
  t.equal(ownTest.status, 0, ownTest.status === 0 ? "the plugin's own test passes" : ownTest.stdout + ownTest.stderr)
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
  }
  // The table names the same member on a FAIL row.
  const table = await runCli(['plugin', 'check', cases[0][0]])
  t.equal(table.code, 1)
  t.match(table.stdout, /^examples\s+events\.message_status\.variables\[2\] \(status\)\s+FAIL\s+\/status: must be one of/m)
  t.match(table.stdout, /plugin rcs: 1 of \d+ checks fail/)
})

t.test('plugin new refuses a name that cannot be a subject token, a built-in name and a folder with files', async (t) => {
  for (const bad of ['a.b', 'RCS', 'x>', 'with space', '*', '']) t.throws(() => checkPluginName(bad), { code: 'PLUGIN_NAME_INVALID' }, JSON.stringify(bad))
  t.doesNotThrow(() => checkPluginName('rcs_2-b'))
  const r = await runCli(['plugin', 'new', 'a.b', '--dir', join(tmpdir(), 'cr-kit-never')])
  t.equal(r.code, 2)
  t.match(r.stderr, /PLUGIN_NAME_INVALID: plugin name "a\.b" cannot be a subject token/)
  t.throws(() => checkPluginName('sms'), { code: 'PLUGIN_NAME_TAKEN' }, 'a built-in name')
  const dir = await scaffold(t, 'rcs')
  const again = await runCli(['plugin', 'new', 'rcs', '--dir', dir])
  t.equal(again.code, 1)
  t.match(again.stderr, /PLUGIN_DIR_NOT_EMPTY/)
  const missing = await runCli(['plugin', 'check', join(dir, 'nope')])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /cannot load plugin/)
})
