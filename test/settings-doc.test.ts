import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadSettings } from '../core/config/settings'
import schema from '../schemas/router-config.schema.json'

const root = join(__dirname, '..')

t.test('docs/settings.md matches a fresh generation from schemas/router-config.schema.json', async (t) => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'gen-settings-doc.mjs'), '--check'], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
})

t.test('every settings key of the schema has a row in docs/settings.md', async (t) => {
  const doc = await readFile(join(root, 'docs', 'settings.md'), 'utf8')
  const keys: string[] = []
  const walk = (node: { properties?: Record<string, unknown> }, prefix: string) => {
    for (const [name, prop] of Object.entries(node.properties ?? {})) {
      if (name === '$schema') continue
      keys.push(prefix + name)
      walk(prop as { properties?: Record<string, unknown> }, `${prefix}${name}.`)
    }
  }
  walk(schema, '')
  t.ok(keys.length > 30, `${keys.length} keys`)
  for (const key of keys) t.match(doc, `| \`${key}\` |`, key)
})

t.test('the documented defaults are the ones the settings loader fills in for an empty file', async (t) => {
  const doc = await readFile(join(root, 'docs', 'settings.md'), 'utf8')
  const block = /## Every default[\s\S]*?```json\n([\s\S]*?)```/.exec(doc)
  t.ok(block, 'the doc has its defaults block')
  const dir = await mkdtemp(join(tmpdir(), 'cr-settings-doc-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'callback-router.json'), '{}')
  const { settings, diagnostics } = await loadSettings(join(dir, 'callback-router.json'), {})
  t.same(diagnostics, [])
  t.same(settings, JSON.parse(block![1]))
})
