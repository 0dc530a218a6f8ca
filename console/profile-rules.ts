// The profile rules the form checks as you type, read from schemas/profile.schema.json
// (the file `validate` and the console API check against), so the page cannot drift.
import profileSchema from '../schemas/profile.schema.json'

const titlePattern = profileSchema.properties.title.pattern
const titleParts = /^\^(\[[^\]]+\])\{(\d+),(\d+)\}\$$/.exec(titlePattern)
if (!titleParts) throw new Error(`the title pattern ${titlePattern} is not [chars]{min,max}: update console/profile-rules.ts`)

/** The reference page's title rule: letters, digits, spaces, hyphens, underscores, 3 to 100. */
export const TITLE_RULE = new RegExp(titlePattern)
/** One allowed title character (for naming the characters that are not). */
export const TITLE_CHAR = new RegExp(titleParts[1], 'g')
export const TITLE_MIN = Number(titleParts[2])
export const TITLE_MAX = Number(titleParts[3])
export const ID_RULE = new RegExp(profileSchema.properties.id.pattern)
export const ID_MAX = profileSchema.properties.id.maxLength

/** GET and DELETE carry variables in the endpoint's query string only (the schema's method rule). */
export const BODY_METHODS = profileSchema.properties.method.enum.filter((m) => m !== 'GET' && m !== 'DELETE')

/** The id the form proposes for a title: lower case, runs of other characters as one hyphen. */
export function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, Math.min(64, ID_MAX))
}

/** The hint under Title: which characters are not allowed, or how many are missing. */
export function titleHint(v: string): { text: string; state: '' | 'ok' | 'bad' } {
  const rule = `Use only letters, numbers, spaces, hyphens and underscores`
  const bad = [...new Set(v.replace(TITLE_CHAR, ''))]
  let text = `${rule} (${TITLE_MIN} to ${TITLE_MAX} characters).`
  if (bad.length) text = `Not allowed: ${bad.map((c) => `"${c}"`).join(' ')}. ${rule}.`
  else if (v.length > 0 && v.length < TITLE_MIN) text = `At least ${TITLE_MIN} characters (${v.length} so far). ${rule}.`
  return { text, state: v === '' ? '' : TITLE_RULE.test(v) ? 'ok' : 'bad' }
}
