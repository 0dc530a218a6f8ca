// The Dynamic Variables pane's "Copy to Clipboard": the selected variables as text
// ready to paste after `?` in a GET endpoint, as a JSON body, or as a form body.
import { parseVariablePath, setPath, type PathStep } from './sample-data'

export const SNIPPET_FORMATS = ['query', 'json', 'urlencoded', 'form'] as const
export type SnippetFormat = (typeof SNIPPET_FORMATS)[number]

/**
 * The name to paste for a catalog name: `[n]` becomes `[0]` (the first element),
 * because a placeholder indexes a real array with a number; a key the payload
 * schema declares literally (`parts[n]`) stays as written.
 */
export function pasteName(name: string, payloadSchema?: Record<string, unknown>): string {
  return joinSteps(parseVariablePath(name, payloadSchema))
}

function joinSteps(steps: readonly PathStep[]): string {
  let out = ''
  for (const s of steps) out += 'key' in s ? (out === '' ? s.key : `.${s.key}`) : `[${s.index}]`
  return out
}

/**
 * - `query` and `urlencoded`: `a=<a>&b=<b>`, names as written (not URL-encoded:
 *   the placeholders are; values are encoded when the callback is rendered).
 * - `json`: an object mirroring the nesting (`{"error":{"code":"<error.code>"}}`).
 *   Every placeholder is quoted, so the snippet is valid JSON; a value that is
 *   exactly one placeholder keeps the variable's JSON type when rendered.
 * - `form`: a flat JSON object, one `"name": "<name>"` field per line, the shape a
 *   profile's form (or urlencoded) `body` takes.
 */
export function buildSnippet(names: readonly string[], format: SnippetFormat, payloadSchema?: Record<string, unknown>): string {
  const pasted = names.map((n) => pasteName(n, payloadSchema))
  switch (format) {
    case 'query':
    case 'urlencoded':
      return pasted.map((n) => `${n}=<${n}>`).join('&')
    case 'form':
      return JSON.stringify(Object.fromEntries(pasted.map((n) => [n, `<${n}>`])), null, 2)
    case 'json':
      return JSON.stringify(nest(names, payloadSchema), null, 2)
  }
}

/**
 * Builds the nested JSON body. A parent and its children both selected
 * (`location` and `location.latitude`): the parent's placeholder already carries
 * the whole value, so it wins whatever the order.
 */
function nest(names: readonly string[], payloadSchema?: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  const paths = names.map((name) => parseVariablePath(name, payloadSchema))
  for (const steps of paths) {
    if (paths.some((other) => isStrictPrefix(other, steps))) continue
    setPath(root, steps, `<${joinSteps(steps)}>`)
  }
  return root
}

function isStrictPrefix(prefix: readonly PathStep[], steps: readonly PathStep[]): boolean {
  if (prefix.length >= steps.length) return false
  return prefix.every((s, i) => {
    const t = steps[i]
    return 'key' in s ? 'key' in t && t.key === s.key : 'index' in t && t.index === s.index
  })
}
