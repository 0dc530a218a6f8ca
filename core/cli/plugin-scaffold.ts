// Writes a new external plugin folder (`plugin new`): checks the name, refuses a folder
// that already holds files, then writes the files of plugin-template.ts.
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { builtins } from '../../plugins'
import { EVENT_NAME } from '../plugin/contract'
import { CallbackRouterError, type PluginKitCode } from '../errors'
import { indexJs, packageJson, payloadSchema, readme, SCAFFOLD_EVENT, testJs } from './plugin-template'

export class ScaffoldError extends CallbackRouterError {
  declare readonly code: PluginKitCode
  constructor(code: PluginKitCode, args: unknown[]) {
    super(code, args)
  }
}

/** A channel name is a NATS subject token and a profile's `channel`: [a-z0-9_-]+, not a built-in. */
export function checkPluginName(name: string): void {
  if (!EVENT_NAME.test(name)) throw new ScaffoldError('PLUGIN_NAME_INVALID', [name])
  if (builtins.some((p) => p.name === name)) throw new ScaffoldError('PLUGIN_NAME_TAKEN', [name])
}

/** Writes the plugin into `dir` (created if needed); returns the files written, relative to it. */
export async function scaffoldPlugin(name: string, dir: string): Promise<string[]> {
  checkPluginName(name)
  const existing = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[]
    throw e
  })
  if (existing.length > 0) throw new ScaffoldError('PLUGIN_DIR_NOT_EMPTY', [dir])
  const files: Array<[string, string]> = [
    ['package.json', packageJson(name)],
    ['index.js', indexJs(name)],
    [`${SCAFFOLD_EVENT}.schema.json`, payloadSchema(name)],
    [join('test', `${name}.test.js`), testJs(name)],
    ['README.md', readme(name)],
    ['.gitignore', 'node_modules/\n'],
  ]
  await mkdir(join(dir, 'test'), { recursive: true })
  for (const [file, text] of files) await writeFile(join(dir, file), text, { flag: 'wx' })
  return files.map(([f]) => f)
}
