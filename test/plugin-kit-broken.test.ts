// `plugin check` on broken copies of a scaffolded plugin: a wrong example, a missing payload
// schema and a throwing toVariables each exit 1 naming the member, in --json and the table.
import t from 'tap'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ConformanceReport } from '../core/testing'
import { scaffoldPlugin } from '../core/cli/plugin-scaffold'
import { runCli } from './helpers/daemon-fixture'

function failing(r: ConformanceReport): string[] {
  return r.failures.map((f) => `${f.check} ${f.member}`)
}

t.test('a copy with a broken example, a missing payload schema or a throwing toVariables: plugin check exits 1 naming the member', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'cr-kit-broken-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const dir = join(root, 'rcs')
  await scaffoldPlugin('rcs', dir)
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
