// The publisher's types bite: tsc accepts test/fixtures/client-types/publish.ts, where every
// wrong field, event and channel carries `@ts-expect-error`; without the directives, tsc
// fails on exactly those lines.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './helpers/cli'

const FIXTURE = join(ROOT, 'test', 'fixtures', 'client-types', 'publish.ts')
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const OPTIONS = ['--ignoreConfig', '--noEmit', '--strict', '--target', 'ES2022', '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node', '--skipLibCheck', '--esModuleInterop', '--resolveJsonModule']

/** One tsc program over the specification and its copy without directives: one type-check of the client, not two. */
function tsc(files: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [TSC, ...OPTIONS, ...files], { cwd: ROOT, encoding: 'utf8', timeout: 200_000 })
  return { status: r.status, out: r.stdout + r.stderr }
}

t.test('tsc accepts the specification (every @ts-expect-error line is a type error) and, without the directives, fails on exactly the marked lines', async (t) => {
  const source = await readFile(FIXTURE, 'utf8')
  const lines = source.split('\n')
  const marked = lines.flatMap((l, i) => (l.trim().startsWith('// @ts-expect-error') ? [i + 2] : []))
  t.ok(marked.length >= 7, 'wrong enum value, wrong type, missing field, unknown event, unknown channel, missing account, other event\'s data, external channel')
  const dir = await mkdtemp(join(tmpdir(), 'cr-client-types-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const copy = join(dir, 'unchecked.ts')
  const unchecked = lines.map((l) => (l.trim().startsWith('// @ts-expect-error') ? '//' : l)).join('\n').replace("'../../../core/client'", JSON.stringify(join(ROOT, 'core', 'client')))
  await writeFile(copy, unchecked)
  const r = tsc([FIXTURE, copy])
  t.notMatch(r.out, /publish\.ts\(/, 'the specification itself compiles: no unused directive, no other error')
  t.not(r.status, 0)
  const failed = [...new Set([...r.out.matchAll(/unchecked\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])))].sort((a, b) => a - b)
  t.same(failed, marked, r.out)
  t.match(r.out, /"Delivred"/, 'the wrong enum value is named')
  t.match(r.out, /"sms-sent"/, 'the unknown event is named')
  t.match(r.out, /"fax"/, 'the unknown channel is named')
})
