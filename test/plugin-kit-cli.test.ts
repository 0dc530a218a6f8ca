// `plugin new` and `plugin check` as a user runs them: a scaffolded plugin passes check
// untouched and its own test; bad names and a taken folder are refused. Broken copies:
// plugin-kit-broken.test.ts.
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ConformanceReport } from '../core/testing'
import { scaffoldPlugin, checkPluginName } from '../core/cli/plugin-scaffold'
import { runCli } from './helpers/daemon-fixture'
import { ROOT } from './helpers/cli'

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
  // Plain node (node --test, no loader) loads it as written; its own test uses callback-router/testing as an installed package would.
  await mkdir(join(dir, 'node_modules'))
  await symlink(ROOT, join(dir, 'node_modules', 'callback-router'), 'dir')
  const ownTest = spawnSync(process.execPath, ['--test'], { cwd: dir, encoding: 'utf8', timeout: 120_000 })
  t.equal(ownTest.status, 0, ownTest.status === 0 ? "the plugin's own test passes" : ownTest.stdout + ownTest.stderr)
  t.match(ownTest.stdout, /# pass 2/)
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
