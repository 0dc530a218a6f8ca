// The `<name>` placeholder syntax that customers of the reference platform paste:
// `?id=<id>&status=<status>`, `{"phone":"<whatsapp_number>"}`. Any other `<` is text.
// Part of the profile language, so it lives with the rules; render/ fills what it finds.

/** A placeholder name: `a`, `a.b.c`, `items[0].id`, `parts[n]`. */
export const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_.[\]]*$/
const PLACEHOLDER = /<([A-Za-z_][A-Za-z0-9_.[\]]*)>/g

export interface Placeholder {
  name: string
  /** Offset of `<` in the template. */
  start: number
  /** Offset just past `>`. */
  end: number
}

/** A template split into literal text and placeholders, in order. */
export type TemplatePart = string | { readonly name: string }

export function findPlaceholders(template: string): Placeholder[] {
  const out: Placeholder[] = []
  for (const m of template.matchAll(PLACEHOLDER)) {
    out.push({ name: m[1], start: m.index, end: m.index + m[0].length })
  }
  return out
}

export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = []
  let last = 0
  for (const p of findPlaceholders(template)) {
    if (p.start > last) parts.push(template.slice(last, p.start))
    parts.push({ name: p.name })
    last = p.end
  }
  if (last < template.length) parts.push(template.slice(last))
  return parts
}
