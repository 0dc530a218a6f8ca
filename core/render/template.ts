// `<name>` templates, compiled once per profile load into closures that only read
// variables and join strings: nothing is parsed per event.
import { CallbackRouterError } from '../errors'
import { formEncode, wellFormed } from './formats'
import { PLACEHOLDER_NAME, parseTemplate } from '../config/placeholders'
import type { RenderedFields } from '../plugin/contract'
import { compilePath, textOf, type Variables } from './variables'
import { compileDotSegmentGuard } from './dot-segments'

export type TextTemplate = (vars: Variables) => string

export { textOf }

const identity = (s: string): string => s

/** A text template whose placeholder values pass through `encode`; literal text is kept. */
export function compileText(template: string, encode: (s: string) => string = identity): TextTemplate {
  const parts = parseTemplate(template)
  if (parts.length === 0) return () => ''
  const literals: string[] = []
  const getters: ((v: Variables) => unknown)[] = []
  // Alternating literal, getter, literal, …, literal: the loop below has no branches.
  let pending = ''
  for (const part of parts) {
    if (typeof part === 'string') pending += part
    else {
      literals.push(pending)
      getters.push(compilePath(part.name).get)
      pending = ''
    }
  }
  literals.push(pending)
  if (getters.length === 0) {
    const constant = literals[0]
    return () => constant
  }
  return (vars) => {
    let out = literals[0]
    for (let i = 0; i < getters.length; i++) out += encode(textOf(getters[i](vars))) + literals[i + 1]
    return out
  }
}

/**
 * Endpoint templates: values URL-encoded (a value stays one path segment or one query
 * value), and a path segment that event data makes `.` or `..` fails the render.
 */
export function compileEndpoint(template: string): TextTemplate {
  const render = compileText(template, (s) => encodeURIComponent(wellFormed(s)))
  const guard = compileDotSegmentGuard(template)
  if (guard === undefined) return render
  return (vars) => {
    guard(vars)
    return render(vars)
  }
}

/** What Node and undici accept in a header value: HTAB, visible ASCII, space, obs-text. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

/** A header value template; a value from event data that breaks the header fails the render. */
export function compileHeader(name: string, template: string): TextTemplate {
  const render = compileText(template)
  return (vars) => {
    const value = render(vars)
    if (!HEADER_VALUE.test(value)) {
      throw new CallbackRouterError('render_failed', [`header "${name}" rendered from event data holds a control character or a character outside Latin-1`])
    }
    return value
  }
}

/** Flat fields from a `field -> template` object (urlencoded, form, plugin formats). */
export function compileFields(body: Readonly<Record<string, unknown>>): (vars: Variables) => RenderedFields {
  const fields: [string, TextTemplate][] = []
  for (const [name, template] of Object.entries(body)) {
    if (template !== null && typeof template === 'object') {
      throw new CallbackRouterError('CONFIG_BODY_SHAPE', [`field "${name}": a flat field takes a template string; nest with dotted field names instead`], '/body')
    }
    fields.push([name, compileText(textOf(template))])
  }
  return (vars) => fields.map(([name, render]) => [name, render(vars)] as const)
}

/** A urlencoded body written as one template string (`id=<id>&status=<status>`). */
export function compileUrlencodedString(template: string): TextTemplate {
  return compileText(template, formEncode)
}

/**
 * Every variable as a flat dotted key, in order: plain objects are walked
 * (`error.code`, `_event.id`); arrays and everything else are leaves, as text.
 * An empty object is a leaf too (`{}`), so no variable vanishes.
 */
export function flattenVariables(vars: Variables): RenderedFields {
  const out: (readonly [string, string])[] = []
  const walk = (value: unknown, prefix: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const entries = Object.entries(value)
      if (entries.length > 0) {
        for (const [k, v] of entries) if (v !== undefined) walk(v, prefix === '' ? k : `${prefix}.${k}`)
        return
      }
    }
    out.push([prefix, textOf(value)])
  }
  for (const [k, v] of Object.entries(vars)) if (v !== undefined) walk(v, k)
  return out
}

// ---- JSON bodies -------------------------------------------------------------------------

/** One piece of JSON output: literal JSON text, a typed value, or text inside a string literal. */
type JsonPart = { kind: 'literal'; text: string } | { kind: 'typed'; get: (v: Variables) => unknown } | { kind: 'text'; get: (v: Variables) => unknown }

/** A value in JSON: the variable's own JSON text; absent (or not representable) as null. */
function jsonOf(value: unknown): string {
  return JSON.stringify(value) ?? 'null'
}

/** Text inside a JSON string literal, escaped, without the quotes. */
function jsonStringContent(text: string): string {
  const quoted = JSON.stringify(text)
  return quoted.slice(1, -1)
}

const BARE_PLACEHOLDER = /^<([A-Za-z_][A-Za-z0-9_.[\]]*)>/

/**
 * Compiles JSON text holding placeholders: the pasted-JSON string body
 * (`{"price": <price>, "to": "<to>"}`), or an object body's JSON.stringify.
 * - a bare `<name>` in value position, and a string literal that is exactly `"<name>"`
 *   outside key position, become the variable's JSON value (absent: null);
 * - `<name>` inside any other string literal (keys included) becomes escaped text;
 * - everything else is kept byte for byte.
 * Throws CONFIG_BODY_INVALID_JSON when the filled text would not parse.
 */
export function compileJsonText(source: string): (vars: Variables) => string {
  const parts: JsonPart[] = []
  let literal = ''
  const flush = () => {
    if (literal !== '') parts.push({ kind: 'literal', text: literal })
    literal = ''
  }
  let i = 0
  while (i < source.length) {
    const c = source[i]
    if (c === '"') {
      let j = i + 1
      while (j < source.length && source[j] !== '"') j += source[j] === '\\' ? 2 : 1
      const content = source.slice(i + 1, j)
      const end = Math.min(j + 1, source.length)
      let k = end
      while (k < source.length && /\s/.test(source[k])) k++
      const isKey = source[k] === ':'
      const sole = BARE_PLACEHOLDER.exec(content)
      if (!isKey && sole && sole[0].length === content.length) {
        flush()
        parts.push({ kind: 'typed', get: compilePath(sole[1]).get })
      } else {
        literal += '"'
        for (const part of parseTemplate(content)) {
          if (typeof part === 'string') literal += part
          else {
            flush()
            parts.push({ kind: 'text', get: compilePath(part.name).get })
          }
        }
        if (j < source.length) literal += '"'
      }
      i = end
      continue
    }
    if (c === '<') {
      const m = BARE_PLACEHOLDER.exec(source.slice(i, i + 300))
      if (m && PLACEHOLDER_NAME.test(m[1])) {
        flush()
        parts.push({ kind: 'typed', get: compilePath(m[1]).get })
        i += m[0].length
        continue
      }
    }
    literal += c
    i++
  }
  flush()

  // Filled with nulls and empty text, the body must be JSON: checked now, not per event.
  const probe = parts.map((p) => (p.kind === 'literal' ? p.text : p.kind === 'typed' ? 'null' : '')).join('')
  try {
    JSON.parse(probe)
  } catch (e) {
    throw new CallbackRouterError('CONFIG_BODY_INVALID_JSON', [(e as Error).message], '/body')
  }

  const n = parts.length
  return (vars) => {
    let out = ''
    for (let p = 0; p < n; p++) {
      const part = parts[p]
      if (part.kind === 'literal') out += part.text
      else if (part.kind === 'typed') out += jsonOf(part.get(vars))
      else out += jsonStringContent(textOf(part.get(vars)))
    }
    return out
  }
}

/** A json-format body: a JSON value with placeholders in its strings, or pasted JSON text. */
export function compileJsonBody(body: unknown): (vars: Variables) => string {
  return compileJsonText(typeof body === 'string' ? body : JSON.stringify(body))
}
