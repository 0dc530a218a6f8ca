// Problems beside their fields: each diagnostic's JSON pointer names a field and the
// step that shows it; the rest are listed in the banner above the form. Step 1 is also
// checked here before Next, with the schema's rules.
import { h, append, clear, byId } from './dom'
import type { PublicDiagnostic } from './api'
import type { EditorForm } from './editor-form'
import { retries } from './editor-state'
import { ID_RULE, TITLE_MAX, TITLE_MIN, TITLE_RULE } from './profile-rules'

export type Problem = Pick<PublicDiagnostic, 'level' | 'pointer' | 'message'>

const FIELDS: ReadonlyArray<[RegExp, string, 1 | 2]> = [
  [/^\/id$/, 'profile-id', 1],
  [/^\/title$/, 'title', 1],
  [/^\/account$/, 'account', 1],
  [/^\/channel$/, 'channel', 1],
  [/^\/events(\/|$)/, 'events', 1],
  [/^\/method$/, 'method', 1],
  [/^\/endpoint$/, 'endpoint', 1],
  [/^\/body(\/|$)/, 'body', 1],
  [/^\/retry\/count$/, 'retry', 1],
  [/^\/retry\/intervalSeconds$/, 'interval', 1],
  [/^\/retry\/timeoutMs$/, 'timeout', 1],
  [/^\/format$/, 'format', 2],
  [/^\/headers(\/|$)/, 'headers', 2],
  [/^\/encryption\/algorithm$/, 'enc-algorithm', 2],
  [/^\/encryption\/key$/, 'enc-key', 2],
  [/^\/encryption\/iv$/, 'enc-iv', 2],
  [/^\/encryption\/parameters(\/|$)/, 'enc-parameters', 2],
  [/^\/encryption$/, 'encryption-toggle', 2],
]

/** The field a diagnostic's JSON pointer belongs to, and the step that shows it. */
export function fieldOf(pointer: string): { id: string; step: 1 | 2 } | undefined {
  for (const [re, id, step] of FIELDS) if (re.test(pointer)) return { id, step }
  return undefined
}

export function clearErrors(root: HTMLElement, summary: HTMLElement): void {
  for (const el of root.querySelectorAll('.field-error')) clear(el)
  for (const el of root.querySelectorAll('.invalid')) el.classList.remove('invalid')
  clear(summary)
  summary.classList.add('hidden')
}

/** Puts each problem beside its field; returns the step of the first error. */
export function showProblems(root: HTMLElement, summary: HTMLElement, ds: readonly Problem[]): 1 | 2 | undefined {
  clearErrors(root, summary)
  let first: 1 | 2 | undefined
  const loose: string[] = []
  for (const d of ds) {
    const f = fieldOf(d.pointer)
    const slot = f ? root.querySelector<HTMLElement>(`.field-error[data-for="${f.id}"]`) : null
    if (!f || !slot) {
      loose.push(`${d.pointer || '/'}: ${d.message}`)
      continue
    }
    slot.append(h('div', { class: d.level, 'data-pointer': d.pointer }, d.level === 'warning' ? `Warning: ${d.message}` : d.message))
    if (d.level === 'error') {
      byId(f.id).classList.add('invalid')
      first = first ?? f.step
    }
  }
  const errors = ds.filter((d) => d.level === 'error')
  if (errors.length) {
    summary.classList.remove('hidden')
    append(summary, [
      h('strong', null, `${errors.length} problem${errors.length === 1 ? '' : 's'} to fix before saving.`),
      loose.length ? h('ul', null, loose.map((l) => h('li', null, l))) : null,
    ])
  }
  return first
}

/** Step 1's own checks before Next and Save: what the schema requires of its fields. */
export function step1Problems(f: EditorForm): Problem[] {
  const ds: Problem[] = []
  const err = (pointer: string, message: string) => ds.push({ level: 'error', pointer, message })
  if (f.account.value.trim() === '') err('/account', 'Enter the account.')
  if (!TITLE_RULE.test(f.title.value)) err('/title', `Use ${TITLE_MIN} to ${TITLE_MAX} letters, numbers, spaces, hyphens or underscores.`)
  if (!ID_RULE.test(f.profileId.value.trim())) err('/id', 'Lower-case letters, digits, - and _, starting with a letter or digit.')
  if (f.endpoint.value.trim() === '') err('/endpoint', 'Enter the endpoint URL.')
  const n = retries(f)
  if (typeof n === 'number' && n > 0) {
    if (f.interval.value === '' || !(Number(f.interval.value) > 0)) err('/retry/intervalSeconds', 'Required when retries are above 0: seconds before the first retry.')
    if (f.timeout.value === '' || !(Number(f.timeout.value) >= 1)) err('/retry/timeoutMs', 'Required when retries are above 0: the time limit of one attempt, in ms.')
  }
  return ds
}
