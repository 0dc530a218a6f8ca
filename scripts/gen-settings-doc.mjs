// Generates docs/settings.md from schemas/router-config.schema.json, so the settings
// reference never drifts from what the daemon accepts. `--check` compares instead of
// writing (used by a test), like gen-types.mjs.
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const schemaFile = join(root, 'schemas', 'router-config.schema.json')
export const outFile = join(root, 'docs', 'settings.md')

export async function generate() {
  const schema = JSON.parse(await readFile(schemaFile, 'utf8'))
  const out = []
  out.push('# Daemon settings')
  out.push('')
  out.push('<!-- Generated from schemas/router-config.schema.json by `npm run gen:docs`. Do not edit: change the schema and run it again. -->')
  out.push('')
  out.push(text(schema.description))
  out.push('')
  out.push('The file is `config/callback-router.json` unless `CALLBACK_ROUTER_CONFIG` or `--config <file>` names another;')
  out.push('it is checked against `schemas/router-config.schema.json` (`callback-router validate`). Every key is optional:')
  out.push('a missing key takes the default below. Unknown keys are refused. Any string may hold `${env:NAME}`,')
  out.push('expanded when the file is loaded. See [operations.md](operations.md) for how the settings are used.')
  out.push('')

  const sections = []
  collect(schema, '', sections)
  out.push('## Contents')
  out.push('')
  for (const s of sections) out.push(`- [\`${s.path}\`](#${anchor(s.path)})`)
  out.push('')

  for (const s of sections) {
    out.push(`## ${s.path}`)
    out.push('')
    if (s.schema.description && s.schema !== schema) {
      out.push(text(s.schema.description))
      out.push('')
    }
    out.push('| key | type | default | description |')
    out.push('|---|---|---|---|')
    for (const [name, prop] of Object.entries(s.schema.properties)) {
      if (name === '$schema') continue
      const key = s.path === '(top level)' ? name : `${s.path}.${name}`
      const isSection = isObject(prop)
      const desc = text(prop.description ?? '') + (isSection ? ` See [\`${key}\`](#${anchor(key)}).` : '')
      out.push(`| \`${key}\` | ${typeOf(prop)} | ${defaultOf(prop)} | ${cell(desc)} |`)
    }
    out.push('')
  }

  out.push('## Every default')
  out.push('')
  out.push('The settings the daemon runs with when the file is `{}` (optional sections without a default, such as')
  out.push('`nats.auth` and `nats.tls`, are left out):')
  out.push('')
  out.push('```json')
  out.push(JSON.stringify(defaults(schema), null, 2))
  out.push('```')
  out.push('')
  return out.join('\n')
}

/** Every object-valued property with its own properties becomes a section, depth first. */
function collect(schema, path, sections) {
  sections.push({ path: path || '(top level)', schema })
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    if (isObject(prop)) collect(prop, path ? `${path}.${name}` : name, sections)
  }
}

function isObject(s) {
  return s.type === 'object' && s.properties && Object.keys(s.properties).length > 0
}

function defaults(schema) {
  const out = {}
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    if (name === '$schema') continue
    if (isObject(prop)) {
      if (prop.default !== undefined) out[name] = { ...defaults(prop), ...prop.default }
    } else if (prop.default !== undefined) {
      out[name] = prop.default
    }
  }
  return out
}

function typeOf(s) {
  let t
  if (s.enum) t = s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ')
  else if (s.type === 'array') t = `array of ${s.items?.type ?? 'any'}`
  else t = Array.isArray(s.type) ? s.type.join(' \\| ') : s.type ?? 'any'
  const limits = []
  if (s.minimum !== undefined) limits.push(`≥ ${s.minimum}`)
  if (s.exclusiveMinimum !== undefined) limits.push(`> ${s.exclusiveMinimum}`)
  if (s.maximum !== undefined) limits.push(`≤ ${s.maximum}`)
  if (s.minItems !== undefined) limits.push(`at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`)
  if (s.minLength !== undefined && s.type === 'string') limits.push(`at least ${s.minLength} character${s.minLength === 1 ? '' : 's'}`)
  if (s.items?.minLength) limits.push('items non-empty')
  if (s.pattern) limits.push(`pattern \`${s.pattern.replace(/\|/g, '\\|')}\``)
  return limits.length ? `${t} (${limits.join(', ')})` : t
}

function defaultOf(s) {
  if (s.default === undefined) return '—'
  if (isObject(s)) return 'see below'
  return `\`${JSON.stringify(s.default).replace(/\|/g, '\\|')}\``
}

/** Schema text in Markdown: `<x>` stays visible instead of becoming an HTML tag. */
function text(s) {
  return s.replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function cell(s) {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

/** GitHub's heading anchors: lower case, punctuation other than - and _ dropped, spaces to -. */
function anchor(heading) {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const doc = await generate()
  if (process.argv.includes('--check')) {
    const current = await readFile(outFile, 'utf8').catch(() => '')
    if (current !== doc) {
      console.error('docs/settings.md is out of date with schemas/router-config.schema.json: run npm run gen:docs')
      process.exit(1)
    }
  } else {
    await mkdir(dirname(outFile), { recursive: true })
    await writeFile(outFile, doc)
  }
}
