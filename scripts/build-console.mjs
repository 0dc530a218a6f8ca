// Builds the web console's front end into dist/console/: type-checks console/ with
// its own tsconfig (DOM types, kept apart from the Node code), bundles console/app.ts
// with esbuild, and copies index.html and style.css. `--out <dir>` writes elsewhere.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const outArg = process.argv.indexOf('--out')
const outDir = outArg > 0 ? resolve(process.argv[outArg + 1]) : join(root, 'dist', 'console')

if (!process.argv.includes('--no-check')) {
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.console.json')], { stdio: 'inherit' })
  } catch {
    console.error('build-console: console/ does not type-check (tsconfig.console.json)')
    process.exit(1)
  }
}
mkdirSync(outDir, { recursive: true })
await build({
  entryPoints: [join(root, 'console', 'app.ts')],
  outfile: join(outDir, 'app.js'),
  bundle: true,
  format: 'iife',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
})
for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'console', f), join(outDir, f))
