// The README's newcomer path: its fenced block that ends in `validate` is run as written
// (setup, the demo secrets, validate) with bash on a copy of the tree, as a fresh clone
// would be, and must end in `ok`. The copy shares the installed node_modules, so setup
// skips `npm ci`; it still runs its own build, into the copy.
import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const ROOT = join(__dirname, '..')
// setup builds the copy (tsc and the console bundle): minutes on a loaded machine.
t.setTimeout(600_000)

/** The fenced `sh` blocks of a Markdown text, in order. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1])
}

t.test("the README's validate block, pasted into a fresh clone, passes", async (t) => {
  const block = shellBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8')).find((b) => /\bvalidate\s*$/m.test(b))
  t.ok(block, 'the README has a block that runs validate')
  t.match(block!, /setup\.sh/, 'it starts from setup, as a fresh clone must')

  // The tree as a clone has it: tracked and new files, not what .gitignore keeps out.
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean)
  const clone = mkdtempSync(join(tmpdir(), 'readme-clone-'))
  t.teardown(() => rmSync(clone, { recursive: true, force: true }))
  for (const f of files) {
    let isFile = false
    try {
      isFile = statSync(join(ROOT, f)).isFile()
    } catch {
      continue // deleted in the work tree, not yet in git
    }
    if (!isFile) continue
    mkdirSync(dirname(join(clone, f)), { recursive: true })
    cpSync(join(ROOT, f), join(clone, f), { preserveTimestamps: true })
  }
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'))
  // setup.sh runs `npm ci` when package-lock.json is newer than the install: never against
  // the shared node_modules. Were it so, this test stops rather than reinstall.
  const lockTime = statSync(join(clone, 'package-lock.json')).mtimeMs
  const installTime = statSync(join(ROOT, 'node_modules', '.package-lock.json')).mtimeMs
  if (lockTime > installTime) {
    t.fail('package-lock.json is newer than node_modules: run `npm ci` first; this test will not reinstall the shared install')
    return
  }

  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('DEMO_') || k === 'CALLBACK_ROUTER_CONFIG' || k === 'NATS_URL') delete env[k]
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', block!], { cwd: clone, env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
  t.equal(run.code, 0, run.stderr)
  t.match(run.stdout, /^ok: \d+ profile\(s\), \d+ channel\(s\)/m)
})
