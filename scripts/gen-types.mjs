// Generates core/generated/*.ts from schemas/*.schema.json, and core/generated/payloads.ts
// from the built-in plugins' payload schemas, with the pinned json-schema-to-typescript.
// `--check` compares instead of writing (used by a test).
import { compile, compileFromFile } from 'json-schema-to-typescript'
import { createRequire } from 'node:module'
import { register } from 'tsx/cjs/api'
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

const pascal = (s) => s.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('')

/** sms/sms-send -> SmsSendData, whatsapp/message_status -> WhatsappMessageStatusData, default/* -> DefaultEventData. */
function payloadTypeName(channel, event) {
  const c = pascal(channel)
  const e = event === '*' ? 'Event' : pascal(event)
  return `${e.startsWith(c) ? e : c + e}Data`
}

/** The schema without nested titles, which would otherwise name (and collide as) separate interfaces. */
function untitled(schema, root = true) {
  if (Array.isArray(schema)) return schema.map((s) => untitled(s, false))
  if (!schema || typeof schema !== 'object') return schema
  const out = {}
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'title' && !root) continue
    // `examples` and `$schema` say nothing about the type.
    if (k === '$schema') continue
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, untitled(s, false)])) : k === 'examples' || k === 'enum' || k === 'const' || k === 'default' ? v : untitled(v, false)
  }
  // A property with no type accepts any JSON value (the default channel's catalog fields).
  const typed = ['type', 'enum', 'const', '$ref', 'anyOf', 'oneOf', 'allOf', 'properties', 'items'].some((k) => k in out)
  if (!root && !typed) out.tsType = 'unknown'
  return out
}

/** One interface per built-in event's data, and ChannelEvents mapping channel -> event -> data type. */
async function generatePayloads() {
  const unregister = register()
  const { builtins } = createRequire(import.meta.url)(join(root, 'plugins', 'index.ts'))
  unregister()
  const parts = ['/* Generated from the built-in plugins\' payload schemas (plugins/<channel>/<event>.schema.json) by npm run gen:types. Do not edit. */\n']
  const map = []
  for (const plugin of builtins) {
    const entries = []
    for (const [event, spec] of Object.entries(plugin.events)) {
      const name = payloadTypeName(plugin.name, event)
      const schema = { ...untitled(spec.payloadSchema), title: name }
      // additionalProperties unstated means allowed, as the daemon's ajv reads the schema.
      parts.push(await compile(schema, name, { bannerComment: '', additionalProperties: true, style: { singleQuote: true, semi: false } }))
      entries.push(event === '*' ? `[event: string]: ${name}` : `${JSON.stringify(event).replace(/"/g, "'")}: ${name}`)
    }
    map.push(`  ${plugin.name}: { ${entries.join('; ')} }`)
  }
  parts.push(`/** Each built-in channel's events and the type of their \`data\`: what callback-router/client checks at compile time. */\nexport interface ChannelEvents {\n${map.join('\n')}\n}\n`)
  return parts.join('\n')
}

export async function generate() {
  const out = { 'payloads.ts': await generatePayloads() }
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
