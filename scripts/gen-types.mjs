// Generates core/generated/*.ts from schemas/*.schema.json with the pinned
// json-schema-to-typescript. `--check` compares instead of writing (used by a test).
import { compileFromFile } from 'json-schema-to-typescript'
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outDir = join(root, 'core', 'generated')
export const targets = [
  ['profile.schema.json', 'profile.ts'],
  ['router-config.schema.json', 'router-config.ts'],
  ['event.schema.json', 'event.ts'],
]

export async function generate() {
  const out = {}
  for (const [schema, file] of targets) {
    out[file] = await compileFromFile(join(root, 'schemas', schema), {
      cwd: join(root, 'schemas'),
      bannerComment: `/* Generated from schemas/${schema} by npm run gen:types. Do not edit. */`,
      additionalProperties: false,
      style: { singleQuote: true, semi: false },
    })
  }
  return out
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await generate()
  await mkdir(outDir, { recursive: true })
  let stale = []
  for (const [file, text] of Object.entries(out)) {
    const path = join(outDir, file)
    if (process.argv.includes('--check')) {
      const current = await readFile(path, 'utf8').catch(() => '')
      if (current !== text) stale.push(file)
    } else {
      await writeFile(path, text)
    }
  }
  if (stale.length) {
    console.error(`core/generated is out of date for ${stale.join(', ')}: run npm run gen:types`)
    process.exit(1)
  }
}
