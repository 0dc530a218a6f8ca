// What the form shows as its values change: the title rule, the channel's events and
// retry choices, the fields that depend on the method, retries and the encryption
// toggle, header rows, and which step is visible.
import { h, clear, byId } from './dom'
import type { ChannelMeta } from './ui'
import type { EditorForm, RetryRaw } from './editor-form'
import { BODY_METHODS, titleHint } from './profile-rules'

export function currentChannel(f: EditorForm): ChannelMeta {
  return f.channels.find((c) => c.name === f.channel.value) ?? f.defaultChannel
}

export function showTitleRule(f: EditorForm): void {
  const { text, state } = titleHint(f.title.value)
  clear(f.titleRule)
  f.titleRule.append(text)
  f.titleRule.className = `hint ${state}`
}

export function renderEvents(f: EditorForm, checked: readonly string[]): void {
  const c = currentChannel(f)
  clear(f.events)
  f.events.disabled = !!c.catchAll
  if (c.catchAll) {
    f.events.append(h('span', { class: 'hint' }, 'Enabled when a channel other than Default is chosen: a Default profile receives every event that names it.'))
    return
  }
  // A channel with one event has it chosen for you, as on the reference page.
  const preset = checked.length ? checked : c.events.length === 1 ? c.events : []
  for (const e of c.events) {
    f.events.append(h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'event', value: e, checked: preset.includes(e) }), ` ${e}`))
  }
}

export function selectedEvents(f: EditorForm): string[] {
  return [...f.events.querySelectorAll<HTMLInputElement>('input[name=event]:checked')].map((i) => i.value)
}

export function renderRetry(f: EditorForm, r: RetryRaw | undefined): void {
  const c = currentChannel(f)
  clear(f.retry)
  f.retry.append(h('option', { value: 'standard' }, `Channel standard (${c.retry.maxRetries}, ${c.retry.intervalSeconds} s ${c.retry.backoff})`))
  for (let n = 0; n <= c.retry.maxRetries; n++) f.retry.append(h('option', { value: String(n) }, n <= 2 ? String(n) : `${n} (support request)`))
  f.retry.value = f.editId !== undefined && (r === undefined || r.count === undefined) ? 'standard' : String(Math.min(r?.count ?? 0, c.retry.maxRetries))
  clear(f.retryNote)
  f.retryNote.append(
    `${c.title}: at most ${c.retry.maxRetries} retries, ${c.retry.intervalSeconds} s between them${c.retry.backoff === 'exponential' ? ', doubling after each failed attempt' : ''}. More than 2 retries are on request.`,
  )
  showRetryFields(f)
}

export function retries(f: EditorForm): number | 'standard' {
  return f.retry.value === 'standard' ? 'standard' : Number(f.retry.value)
}

/** Interval and timeout are required (and prefilled) when retries are above 0. */
export function showRetryFields(f: EditorForm): void {
  const n = retries(f)
  const required = typeof n === 'number' && n > 0
  f.interval.required = required
  f.timeout.required = required
  f.intervalLabel.classList.toggle('required', required)
  f.timeoutLabel.classList.toggle('required', required)
  if (required && f.interval.value === '') f.interval.value = String(currentChannel(f).retry.intervalSeconds)
  if (required && f.timeout.value === '') f.timeout.value = String(f.meta.defaultTimeoutMs)
}

export function hasBody(f: EditorForm): boolean {
  return BODY_METHODS.includes(f.method.value)
}

export function showBody(f: EditorForm): void {
  f.bodyRow.classList.toggle('hidden', !hasBody(f))
}

export function showEncryption(f: EditorForm): void {
  f.encFields.classList.toggle('hidden', !f.encToggle.checked)
}

export function addHeader(f: EditorForm, name: string, value: string): void {
  const row = h(
    'div',
    { class: 'kv-row' },
    h('input', { type: 'text', class: 'header-name', placeholder: 'Key', value: name, 'aria-label': 'Header key' }),
    h('input', { type: 'text', class: 'header-value', placeholder: 'Value', value, 'aria-label': 'Header value' }),
    h('button', { type: 'button', class: 'small secondary', 'aria-label': 'Remove header', onclick: () => row.remove() }, '×'),
  )
  f.headers.append(row)
}

export function showStep(f: EditorForm, n: 1 | 2): void {
  f.step1.classList.toggle('hidden', n !== 1)
  f.step2.classList.toggle('hidden', n !== 2)
  byId('step-1-tab').classList.toggle('current', n === 1)
  byId('step-2-tab').classList.toggle('current', n === 2)
}
