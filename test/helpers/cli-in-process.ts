// The CLI run in the test's own process, its output captured: a child process per case
// costs seconds on a loaded machine. Also the settings folder the CLI tests share: one
// settings file and a profiles folder, and the signed, authenticated SMS profile whose
// secrets come from `${env:<PREFIX>_…}`.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../core/cli'

export interface InProcessRun {
  code: number
  stdout: string
  stderr: string
  /** stdout and stderr as they were written, interleaved. */
  text: string
}

/** `callback-router <args>` through the CLI's own entry, stdout and stderr captured. */
export async function runInProcess(args: string[]): Promise<InProcessRun> {
  const stdout: string[] = []
  const stderr: string[] = []
  const text: string[] = []
  const out = process.stdout.write.bind(process.stdout)
  const err = process.stderr.write.bind(process.stderr)
  const capture = (into: string[]) => ((chunk: string | Uint8Array) => (text.push(String(chunk)), into.push(String(chunk)) > 0)) as typeof process.stdout.write
  process.stdout.write = capture(stdout)
  process.stderr.write = capture(stderr)
  try {
    const code = await main(['node', 'callback-router', ...args])
    return { code, stdout: stdout.join(''), stderr: stderr.join(''), text: text.join('') }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
    process.exitCode = undefined
  }
}

/** A folder with `callback-router.json` (these settings, profilesDir ./profiles) and one file per profile. */
export async function settingsDir(prefix: string, settings: Record<string, unknown>, profiles: ReadonlyArray<Record<string, unknown>>): Promise<{ dir: string; settings: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await mkdir(join(dir, 'profiles'))
  const file = join(dir, 'callback-router.json')
  await writeFile(file, JSON.stringify({ profilesDir: './profiles', ...settings }))
  for (const p of profiles) await writeFile(join(dir, 'profiles', `${String(p.id)}.json`), JSON.stringify(p))
  return { dir, settings: file }
}

/** The `acme-sms` profile with a query token, an API-key header, basic auth and signing, each from `${env:<env>_…}`. */
export function securedSmsProfile(url: string, env: string): Record<string, unknown> {
  return {
    id: 'acme-sms',
    title: 'ACME SMS reports',
    account: 'acme',
    channel: 'sms',
    endpoint: `${url}/cb?token=\${env:${env}_QUERY_TOKEN}`,
    headers: { 'X-Api-Key': `\${env:${env}_API_KEY}`, 'X-Plain': 'visible' },
    auth: { type: 'basic', username: 'acme', password: `\${env:${env}_PASSWORD}` },
    signing: { secret: `\${env:${env}_WHSEC}` },
  }
}
