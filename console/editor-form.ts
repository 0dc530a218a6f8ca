// The profile form's controls and its two steps: Basic Details (account, title, id,
// channel, events, method, endpoint, Dynamic Variables, body, retry) and Advanced
// Configuration (format, headers, encryption). Values start from the profile as written.
import { h } from './dom'
import { channelLabel, formatLabel, orderedChannels, type ChannelMeta, type Meta } from './ui'
import { TITLE_MAX } from './profile-rules'

export type Raw = Record<string, unknown>

/** The buttons' handlers, given by the page that owns the form. */
export interface EditorActions {
  openPane(): void
  test(): void
  next(): void
  back(): void
  save(): void
  addHeader(): void
}

export interface RetryRaw {
  count?: number
  intervalSeconds?: number
  timeoutMs?: number
}

export interface EncryptionRaw {
  algorithm?: string
  key?: string
  iv?: string
  parameters?: string[]
}

/** Every control of the form, and the profile it started from. */
export interface EditorForm {
  meta: Meta
  original: Raw
  editId: string | undefined
  channels: ChannelMeta[]
  defaultChannel: ChannelMeta
  account: HTMLInputElement
  title: HTMLInputElement
  titleRule: HTMLElement
  profileId: HTMLInputElement
  channel: HTMLSelectElement
  events: HTMLFieldSetElement
  method: HTMLSelectElement
  endpoint: HTMLInputElement
  body: HTMLTextAreaElement
  bodyRow: HTMLElement
  retry: HTMLSelectElement
  interval: HTMLInputElement
  timeout: HTMLInputElement
  intervalLabel: HTMLLabelElement
  timeoutLabel: HTMLLabelElement
  retryNote: HTMLElement
  format: HTMLSelectElement
  headers: HTMLElement
  encToggle: HTMLInputElement
  encAlgorithm: HTMLSelectElement
  encKey: HTMLInputElement
  encIv: HTMLInputElement
  encParams: HTMLInputElement
  encFields: HTMLElement
  summary: HTMLElement
  pane: HTMLElement
  step1: HTMLElement
  step2: HTMLElement
}

export function errorSlot(id: string): HTMLElement {
  return h('div', { class: 'field-error', 'data-for': id, role: 'alert' })
}

export function field(id: string, label: string, control: HTMLElement, hint?: string): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('div', { class: 'hint' }, hint) : null, errorSlot(id))
}

function bodyText(body: unknown): string {
  if (body === undefined) return ''
  return typeof body === 'string' ? body : JSON.stringify(body, null, 2)
}

type Controls = Omit<EditorForm, 'meta' | 'original' | 'editId' | 'channels' | 'defaultChannel' | 'summary' | 'pane' | 'step1' | 'step2'>

function step1Controls(meta: Meta, original: Raw, editId: string | undefined, channels: ChannelMeta[], defaultChannel: ChannelMeta) {
  const str = (k: string, fallback = '') => (typeof original[k] === 'string' ? (original[k] as string) : fallback)
  const retryRaw = original.retry as RetryRaw | undefined
  const method = h(
    'select',
    { id: 'method' },
    h('optgroup', { label: 'Suggested' }, ['GET', 'POST'].map((m) => h('option', { value: m }, m))),
    h('optgroup', { label: 'Other' }, meta.methods.filter((m) => m !== 'GET' && m !== 'POST').map((m) => h('option', { value: m }, m))),
  )
  method.value = str('method', 'POST')
  const body = h('textarea', { id: 'body', rows: '8', spellcheck: 'false', placeholder: 'Paste the dynamic variables here' })
  body.value = bodyText(original.body)
  return {
    account: h('input', { id: 'account', type: 'text', value: str('account'), autocomplete: 'off', required: true }),
    title: h('input', { id: 'title', type: 'text', value: str('title'), maxlength: String(TITLE_MAX), autocomplete: 'off', required: true }),
    titleRule: h('div', { id: 'title-rule', class: 'hint' }),
    profileId: h('input', { id: 'profile-id', type: 'text', value: str('id'), autocomplete: 'off', readonly: editId !== undefined, required: true }),
    channel: h(
      'select',
      { id: 'channel', disabled: editId !== undefined },
      channels.map((c) => h('option', { value: c.name, selected: c.name === (str('channel') || defaultChannel.name) }, channelLabel(c))),
    ),
    events: h('fieldset', { id: 'events', class: 'checks' }),
    method,
    endpoint: h('input', { id: 'endpoint', type: 'url', value: str('endpoint'), placeholder: 'https://customer-endpoint/callbacks', autocomplete: 'off', required: true }),
    body,
    bodyRow: h('div', { class: 'field', id: 'body-row' }, h('label', { for: 'body' }, 'Request Body'), body, errorSlot('body')),
    retry: h('select', { id: 'retry' }),
    interval: h('input', { id: 'interval', type: 'number', min: '0', step: 'any', value: retryRaw?.intervalSeconds ?? '' }),
    timeout: h('input', { id: 'timeout', type: 'number', min: '1', max: '60000', step: '1', value: retryRaw?.timeoutMs ?? '' }),
    intervalLabel: h('label', { for: 'interval' }, 'Time Interval (s)'),
    timeoutLabel: h('label', { for: 'timeout' }, 'Timeout (ms)'),
    retryNote: h('div', { id: 'retry-note', class: 'hint' }),
  }
}

function step2Controls(meta: Meta, original: Raw) {
  const format = h('select', { id: 'format' }, meta.formats.map((f) => h('option', { value: f }, formatLabel(f))))
  format.value = typeof original.format === 'string' ? original.format : 'json'
  const enc = original.encryption as EncryptionRaw | undefined
  const encAlgorithm = h('select', { id: 'enc-algorithm' }, meta.algorithms.map((a) => h('option', { value: a }, a)))
  encAlgorithm.value = enc?.algorithm ?? 'aes-256-gcm'
  const encKey = h('input', { id: 'enc-key', type: 'text', value: enc?.key ?? '', autocomplete: 'off', placeholder: '${env:MY_AES_KEY}, hex:… or base64:…' })
  const encIv = h('input', { id: 'enc-iv', type: 'text', value: enc?.iv ?? 'random', autocomplete: 'off' })
  const encParams = h('input', { id: 'enc-parameters', type: 'text', value: (enc?.parameters ?? []).join(', '), autocomplete: 'off', placeholder: 'to, message' })
  const encFields = h(
    'div',
    { id: 'encryption-fields' },
    field('enc-algorithm', 'Algorithm', encAlgorithm),
    field('enc-key', 'Key', encKey, 'A UTF-8 string of exactly 16, 24 or 32 bytes, hex:… or base64:…; prefer ${env:NAME}.'),
    field('enc-iv', 'Initialization Vector', encIv, '"random" draws a fresh IV per value; a fixed IV is 16 bytes for CFB, 12 for GCM.'),
    field('enc-parameters', 'Parameters', encParams, 'The variables whose values are encrypted, separated by commas.'),
  )
  const encToggle = h('input', { id: 'encryption-toggle', type: 'checkbox', class: 'switch', checked: !!enc })
  return { format, headers: h('div', { id: 'headers', class: 'kv' }), encToggle, encAlgorithm, encKey, encIv, encParams, encFields }
}

function step1Section(c: Controls, editId: string | undefined, file: string | undefined, actions: EditorActions): HTMLElement {
  return h(
    'section',
    { id: 'step-1', class: 'step' },
    field('account', 'Account', c.account, 'The tenant whose events this profile receives.'),
    h('div', { class: 'field' }, h('label', { for: 'title' }, 'Title'), c.title, c.titleRule, errorSlot('title')),
    field('profile-id', 'Profile ID', c.profileId, editId !== undefined ? `Saved in ${file ?? ''}; the id cannot change here.` : 'Lower-case letters, digits, - and _; it names the file (<id>.json) or, with the KV store, the key.'),
    field('channel', 'Channel', c.channel, editId !== undefined ? 'A profile is locked to its channel.' : undefined),
    h('div', { class: 'field' }, h('label', null, 'Events for the selected channel'), c.events, errorSlot('events')),
    field('method', 'HTTP Method', c.method, 'The suggested methods are GET and POST.'),
    field('endpoint', 'Enter Endpoint', c.endpoint),
    h('div', { class: 'field' }, h('label', null, 'Dynamic Variables'), h('div', null, h('button', { type: 'button', id: 'view-variables', class: 'secondary', onclick: actions.openPane }, 'View'))),
    c.bodyRow,
    h(
      'div',
      { class: 'field-row' },
      field('retry', 'Retry', c.retry),
      h('div', { class: 'field' }, c.intervalLabel, c.interval, errorSlot('interval')),
      h('div', { class: 'field' }, c.timeoutLabel, c.timeout, errorSlot('timeout')),
    ),
    c.retryNote,
    h(
      'div',
      { class: 'actions' },
      h('a', { class: 'button secondary', href: '#/profiles' }, 'Cancel'),
      h('button', { type: 'button', id: 'test', class: 'secondary', onclick: actions.test }, 'Test'),
      h('button', { type: 'button', id: 'next', onclick: actions.next }, 'Next'),
    ),
  )
}

function step2Section(c: Controls, actions: EditorActions): HTMLElement {
  return h(
    'section',
    { id: 'step-2', class: 'step hidden' },
    h('h2', null, 'Advanced Configuration'),
    field('format', 'Data Format', c.format),
    h(
      'div',
      { class: 'field' },
      h('label', null, 'Headers'),
      c.headers,
      h('button', { type: 'button', id: 'add-header', class: 'secondary small', onclick: actions.addHeader }, '+ Add Header'),
      errorSlot('headers'),
    ),
    h('div', { class: 'field' }, h('label', { class: 'switch-label' }, c.encToggle, ' Enable Encryption'), errorSlot('encryption-toggle')),
    c.encFields,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', id: 'back', class: 'secondary', onclick: actions.back }, 'Back'),
      h('button', { type: 'button', id: 'test-2', class: 'secondary', onclick: actions.test }, 'Test'),
      h('button', { type: 'button', id: 'save', onclick: actions.save }, 'Save'),
    ),
  )
}

/** The form for a new profile (`original` empty) or for editing `editId`, saved in `file`. */
export function buildForm(meta: Meta, original: Raw, editId: string | undefined, file: string | undefined, actions: EditorActions): EditorForm {
  const channels = orderedChannels(meta.channels)
  const defaultChannel = channels.find((c) => c.catchAll) ?? channels[0]
  const controls: Controls = { ...step1Controls(meta, original, editId, channels, defaultChannel), ...step2Controls(meta, original) }
  return {
    meta,
    original,
    editId,
    channels,
    defaultChannel,
    ...controls,
    summary: h('div', { id: 'form-errors', class: 'banner error hidden', role: 'alert' }),
    pane: h('aside', { id: 'variables-pane', class: 'pane hidden', 'aria-label': 'Dynamic Variables' }),
    step1: step1Section(controls, editId, file, actions),
    step2: step2Section(controls, actions),
  }
}
