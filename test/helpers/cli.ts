// How tests run the `callback-router` executable: the compiled dist/core/cli.js when it
// is at least as new as every source file (npm test builds first), else the TypeScript
// source through tsx. Starting from dist saves about a second of transpiling per spawn,
// which adds up to minutes over the suite on a loaded 2-core machine.
import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** The repository root, from test/helpers or, compiled, from dist/test/helpers. */
export const ROOT = resolve(__dirname, __dirname.includes(join('dist', 'test')) ? '../../..' : '../..')
const DIST_CLI = join(ROOT, 'dist', 'core', 'cli.js')
const SOURCE_CLI = join(ROOT, 'core', 'cli.ts')
const SOURCES = ['core', 'plugins', 'schemas'].map((d) => join(ROOT, d))

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p))
    else if (/\.(ts|json)$/.test(entry.name)) newest = Math.max(newest, statSync(p).mtimeMs)
  }
  return newest
}

let cached: string[] | undefined

/** Node arguments that run the CLI: put the command's own arguments after them. */
export function cliArgs(): string[] {
  if (!cached) {
    let distFresh = false
    try {
      distFresh = statSync(DIST_CLI).mtimeMs >= Math.max(...SOURCES.map(newestMtime))
    } catch {
      distFresh = false
    }
    cached = distFresh ? [DIST_CLI] : ['--import', 'tsx', SOURCE_CLI]
  }
  return cached
}
