// New (or Edit) Callback Profile: step 1 (account, title, channel, events, method,
// endpoint, dynamic variables, body, retry, Test, Next) and step 2, Advanced
// Configuration (data format, headers, encryption, Save). The form edits the raw
// profile as written: keys it does not show (auth, signing, rateLimit, `${env:…}`
// text) go back to the file untouched.
import { h, append, clear, byId } from './dom'
import { api, errorOf, type PublicDiagnostic } from './api'
import { channelLabel, formatLabel, orderedChannels, toast, type ChannelMeta, type Meta } from './ui'

type Raw = Record<string, unknown>

const TITLE_RULE = /^[A-Za-z0-9 _-]{3,100}$/
const BODY_METHODS = ['POST', 'PUT', 'PATCH']

interface SaveAnswer {
  id: string
  file: string
  diagnostics: PublicDiagnostic[]
  reload?: { ok: boolean; errors: string[] }
}

interface VariableSpec {
  name: string
  type: string
  description: string
  example: unknown
}

/** The field a diagnostic's JSON pointer belongs to, and the step that shows it. */
function fieldOf(pointer: string): { id: string; step: 1 | 2 } | undefined {
  const table: Array<[RegExp, string, 1 | 2]> = [
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
  for (const [re, id, step] of table) if (re.test(pointer)) return { id, step }
  return undefined
}

function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
}

function bodyText(body: unknown): string {
  if (body === undefined) return ''
  return typeof body === 'string' ? body : JSON.stringify(body, null, 2)
}

export async function editorPage(main: HTMLElement, meta: Meta, editId?: string): Promise<void> {
  let original: Raw = {}
  let file: string | undefined
  if (editId !== undefined) {
    const r = await api<{ raw: Raw; file: string }>('GET', `/profiles/${encodeURIComponent(editId)}`)
    if (r.status !== 200) {
      clear(main)
      main.append(h('h1', null, 'Edit Callback Profile'), h('p', { class: 'error' }, errorOf(r)))
      return
    }
    original = r.data.raw
    file = r.data.file
  }
  const str = (k: string, fallback = '') => (typeof original[k] === 'string' ? (original[k] as string) : fallback)
  const channels = orderedChannels(meta.channels)
  const defaultChannel = channels.find((c) => c.catchAll) ?? channels[0]
  const channelOf = (name: string): ChannelMeta => channels.find((c) => c.name === name) ?? defaultChannel

  // ---- Step 1 fields
  const account = h('input', { id: 'account', type: 'text', value: str('account'), autocomplete: 'off', required: true })
  const title = h('input', { id: 'title', type: 'text', value: str('title'), maxlength: '100', autocomplete: 'off', required: true })
  const titleRule = h('div', { id: 'title-rule', class: 'hint' })
  const profileId = h('input', { id: 'profile-id', type: 'text', value: str('id'), autocomplete: 'off', readonly: editId !== undefined, required: true })
  let idTouched = editId !== undefined
  const channel = h(
    'select',
    { id: 'channel', disabled: editId !== undefined },
    channels.map((c) => h('option', { value: c.name, selected: c.name === (str('channel') || defaultChannel.name) }, channelLabel(c))),
  )
  const events = h('fieldset', { id: 'events', class: 'checks' })
  const method = h(
    'select',
    { id: 'method' },
    h('optgroup', { label: 'Suggested' }, ['GET', 'POST'].map((m) => h('option', { value: m }, m))),
    h('optgroup', { label: 'Other' }, meta.methods.filter((m) => m !== 'GET' && m !== 'POST').map((m) => h('option', { value: m }, m))),
  )
  method.value = str('method', 'POST')
  const endpoint = h('input', { id: 'endpoint', type: 'url', value: str('endpoint'), placeholder: 'https://customer-endpoint/callbacks', autocomplete: 'off', required: true })
  const body = h('textarea', { id: 'body', rows: '8', spellcheck: 'false', placeholder: 'Paste the dynamic variables here' })
  body.value = bodyText(original.body)
  const bodyRow = h('div', { class: 'field', id: 'body-row' }, h('label', { for: 'body' }, 'Request Body'), body, errorSlot('body'))

  const retryRaw = original.retry as { count?: number; intervalSeconds?: number; timeoutMs?: number } | undefined
  const retry = h('select', { id: 'retry' })
  const interval = h('input', { id: 'interval', type: 'number', min: '0', step: 'any', value: retryRaw?.intervalSeconds ?? '' })
  const timeout = h('input', { id: 'timeout', type: 'number', min: '1', max: '60000', step: '1', value: retryRaw?.timeoutMs ?? '' })
  const intervalLabel = h('label', { for: 'interval' }, 'Time Interval (s)')
  const timeoutLabel = h('label', { for: 'timeout' }, 'Timeout (ms)')

  // ---- Step 2 fields
  const format = h('select', { id: 'format' }, meta.formats.map((f) => h('option', { value: f }, formatLabel(f))))
  format.value = str('format', 'json')
  const headers = h('div', { id: 'headers', class: 'kv' })
  const encRaw = original.encryption as { algorithm?: string; key?: string; iv?: string; parameters?: string[] } | undefined
  const encToggle = h('input', { id: 'encryption-toggle', type: 'checkbox', class: 'switch', checked: !!encRaw })
  const encAlgorithm = h('select', { id: 'enc-algorithm' }, meta.algorithms.map((a) => h('option', { value: a }, a)))
  encAlgorithm.value = encRaw?.algorithm ?? 'aes-256-gcm'
  const encKey = h('input', { id: 'enc-key', type: 'text', value: encRaw?.key ?? '', autocomplete: 'off', placeholder: '${env:MY_AES_KEY}, hex:… or base64:…' })
  const encIv = h('input', { id: 'enc-iv', type: 'text', value: encRaw?.iv ?? 'random', autocomplete: 'off' })
  const encParams = h('input', { id: 'enc-parameters', type: 'text', value: (encRaw?.parameters ?? []).join(', '), autocomplete: 'off', placeholder: 'to, message' })
  const encFields = h(
    'div',
    { id: 'encryption-fields' },
    field('enc-algorithm', 'Algorithm', encAlgorithm),
    field('enc-key', 'Key', encKey, 'A UTF-8 string of exactly 16, 24 or 32 bytes, hex:… or base64:…; prefer ${env:NAME}.'),
    field('enc-iv', 'Initialization Vector', encIv, '"random" draws a fresh IV per value; a fixed IV is 16 bytes for CFB, 12 for GCM.'),
    field('enc-parameters', 'Parameters', encParams, 'The variables whose values are encrypted, separated by commas.'),
  )

  const summary = h('div', { id: 'form-errors', class: 'banner error hidden', role: 'alert' })
  const pane = h('aside', { id: 'variables-pane', class: 'pane hidden', 'aria-label': 'Dynamic Variables' })

  const step1 = h(
    'section',
    { id: 'step-1', class: 'step' },
    field('account', 'Account', account, 'The tenant whose events this profile receives.'),
    h('div', { class: 'field' }, h('label', { for: 'title' }, 'Title'), title, titleRule, errorSlot('title')),
    field('profile-id', 'Profile ID', profileId, editId !== undefined ? `Saved in ${file ?? ''}; the id cannot change here.` : 'Lower-case letters, digits, - and _; the file is <id>.json.'),
    field('channel', 'Channel', channel, editId !== undefined ? 'A profile is locked to its channel.' : undefined),
    h('div', { class: 'field' }, h('label', null, 'Events for the selected channel'), events, errorSlot('events')),
    field('method', 'HTTP Method', method, 'The suggested methods are GET and POST.'),
    field('endpoint', 'Enter Endpoint', endpoint),
    h(
      'div',
      { class: 'field' },
      h('label', null, 'Dynamic Variables'),
      h('div', null, h('button', { type: 'button', id: 'view-variables', class: 'secondary', onclick: () => void openPane() }, 'View')),
    ),
    bodyRow,
    h(
      'div',
      { class: 'field-row' },
      field('retry', 'Retry', retry),
      h('div', { class: 'field' }, intervalLabel, interval, errorSlot('interval')),
      h('div', { class: 'field' }, timeoutLabel, timeout, errorSlot('timeout')),
    ),
    h('div', { id: 'retry-note', class: 'hint' }),
    h(
      'div',
      { class: 'actions' },
      h('a', { class: 'button secondary', href: '#/profiles' }, 'Cancel'),
      h('button', { type: 'button', id: 'test', class: 'secondary', onclick: () => void runTest() }, 'Test'),
      h('button', { type: 'button', id: 'next', onclick: () => next() }, 'Next'),
    ),
  )
  const step2 = h(
    'section',
    { id: 'step-2', class: 'step hidden' },
    h('h2', null, 'Advanced Configuration'),
    field('format', 'Data Format', format),
    h(
      'div',
      { class: 'field' },
      h('label', null, 'Headers'),
      headers,
      h('button', { type: 'button', id: 'add-header', class: 'secondary small', onclick: () => addHeader('', '') }, '+ Add Header'),
      errorSlot('headers'),
    ),
    h('div', { class: 'field' }, h('label', { class: 'switch-label' }, encToggle, ' Enable Encryption'), errorSlot('encryption-toggle')),
    encFields,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', id: 'back', class: 'secondary', onclick: () => showStep(1) }, 'Back'),
      h('button', { type: 'button', id: 'test-2', class: 'secondary', onclick: () => void runTest() }, 'Test'),
      h('button', { type: 'button', id: 'save', onclick: () => void save() }, 'Save'),
    ),
  )

  clear(main)
  main.append(
    h(
      'div',
      { class: 'editor' },
      h(
        'div',
        { class: 'form' },
        h('h1', null, editId !== undefined ? 'Edit Callback Profile' : 'New Callback Profile'),
        h('ol', { class: 'steps' }, h('li', { id: 'step-1-tab', class: 'current' }, 'Basic Details'), h('li', { id: 'step-2-tab' }, 'Advanced Configuration')),
        summary,
        step1,
        step2,
      ),
      pane,
    ),
  )

  for (const [k, v] of Object.entries((original.headers as Record<string, string> | undefined) ?? {})) addHeader(k, v)
  if (!original.headers) addHeader('', '')

  title.addEventListener('input', () => {
    showTitleRule()
    if (!idTouched) profileId.value = slug(title.value)
  })
  profileId.addEventListener('input', () => {
    idTouched = true
  })
  channel.addEventListener('change', () => {
    renderEvents([])
    renderRetry(undefined)
    if (!pane.classList.contains('hidden')) void openPane()
  })
  method.addEventListener('change', () => {
    showBody()
    if (!pane.classList.contains('hidden')) void openPane()
  })
  format.addEventListener('change', () => {
    if (!pane.classList.contains('hidden')) void openPane()
  })
  retry.addEventListener('change', () => showRetryFields())
  encToggle.addEventListener('change', () => showEncryption())

  renderEvents((original.events as string[] | undefined) ?? [])
  renderRetry(retryRaw)
  showTitleRule()
  showBody()
  showEncryption()

  // ---- helpers

  function field(id: string, label: string, control: HTMLElement, hint?: string): HTMLElement {
    return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('div', { class: 'hint' }, hint) : null, errorSlot(id))
  }

  function errorSlot(id: string): HTMLElement {
    return h('div', { class: 'field-error', 'data-for': id, role: 'alert' })
  }

  function showTitleRule(): void {
    const v = title.value
    const bad = [...new Set(v.replace(/[A-Za-z0-9 _-]/g, ''))]
    clear(titleRule)
    let text = 'Use only letters, numbers, spaces, hyphens and underscores (3 to 100 characters).'
    if (bad.length) text = `Not allowed: ${bad.map((c) => `"${c}"`).join(' ')}. Use only letters, numbers, spaces, hyphens and underscores.`
    else if (v.length > 0 && v.length < 3) text = `At least 3 characters (${v.length} so far). Use only letters, numbers, spaces, hyphens and underscores.`
    titleRule.append(text)
    titleRule.className = `hint ${v === '' ? '' : TITLE_RULE.test(v) ? 'ok' : 'bad'}`
  }

  function current(): ChannelMeta {
    return channelOf(channel.value)
  }

  function renderEvents(checked: string[]): void {
    const c = current()
    clear(events)
    const enabled = !c.catchAll
    events.disabled = !enabled
    if (!enabled) {
      events.append(h('span', { class: 'hint' }, 'Enabled when a channel other than Default is chosen: a Default profile receives every event that names it.'))
      return
    }
    // A channel with one event has it chosen for you, as on the reference page.
    const preset = checked.length ? checked : c.events.length === 1 ? c.events : []
    for (const e of c.events) {
      events.append(h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'event', value: e, checked: preset.includes(e) }), ` ${e}`))
    }
  }

  function selectedEvents(): string[] {
    return [...events.querySelectorAll<HTMLInputElement>('input[name=event]:checked')].map((i) => i.value)
  }

  function renderRetry(r: { count?: number } | undefined): void {
    const c = current()
    clear(retry)
    retry.append(h('option', { value: 'standard' }, `Channel standard (${c.retry.maxRetries}, ${c.retry.intervalSeconds} s ${c.retry.backoff})`))
    for (let n = 0; n <= c.retry.maxRetries; n++) retry.append(h('option', { value: String(n) }, n <= 2 ? String(n) : `${n} (support request)`))
    const wanted = editId !== undefined && (r === undefined || r.count === undefined) ? 'standard' : String(Math.min(r?.count ?? 0, c.retry.maxRetries))
    retry.value = wanted
    const note = byId('retry-note')
    clear(note)
    note.append(
      `${c.title}: at most ${c.retry.maxRetries} retries, ${c.retry.intervalSeconds} s between them${c.retry.backoff === 'exponential' ? ', doubling after each failed attempt' : ''}. More than 2 retries are on request.`,
    )
    showRetryFields()
  }

  function retries(): number | 'standard' {
    return retry.value === 'standard' ? 'standard' : Number(retry.value)
  }

  function showRetryFields(): void {
    const n = retries()
    const required = typeof n === 'number' && n > 0
    interval.required = required
    timeout.required = required
    intervalLabel.classList.toggle('required', required)
    timeoutLabel.classList.toggle('required', required)
    if (required && interval.value === '') interval.value = String(current().retry.intervalSeconds)
    if (required && timeout.value === '') timeout.value = String(meta.defaultTimeoutMs)
  }

  function showBody(): void {
    bodyRow.classList.toggle('hidden', !BODY_METHODS.includes(method.value))
  }

  function showEncryption(): void {
    encFields.classList.toggle('hidden', !encToggle.checked)
  }

  function addHeader(name: string, value: string): void {
    const row = h(
      'div',
      { class: 'kv-row' },
      h('input', { type: 'text', class: 'header-name', placeholder: 'Key', value: name, 'aria-label': 'Header key' }),
      h('input', { type: 'text', class: 'header-value', placeholder: 'Value', value, 'aria-label': 'Header value' }),
      h('button', { type: 'button', class: 'small secondary', 'aria-label': 'Remove header', onclick: () => row.remove() }, '×'),
    )
    headers.append(row)
  }

  function showStep(n: 1 | 2): void {
    step1.classList.toggle('hidden', n !== 1)
    step2.classList.toggle('hidden', n !== 2)
    byId('step-1-tab').classList.toggle('current', n === 1)
    byId('step-2-tab').classList.toggle('current', n === 2)
  }

  // ---- the dynamic variables pane

  async function openPane(): Promise<void> {
    const c = current()
    const evs = c.catchAll ? (original.events as string[] | undefined) ?? [] : selectedEvents()
    const q = new URLSearchParams({ channel: c.name })
    if (evs.length) q.set('events', evs.join(','))
    const r = await api<{ variables: VariableSpec[] }>('GET', `/variables?${q.toString()}`)
    clear(pane)
    pane.classList.remove('hidden')
    const snippetFormat = BODY_METHODS.includes(method.value) ? (['json', 'urlencoded', 'form'].includes(format.value) ? format.value : 'json') : 'query'
    const preview = h('pre', { id: 'snippet-preview', class: 'snippet' })
    const list = h('div', { class: 'var-list' })
    pane.append(
      h(
        'div',
        { class: 'pane-head' },
        h('h2', null, 'Dynamic Variables'),
        h('button', { type: 'button', id: 'close-variables', class: 'close', 'aria-label': 'Close', title: 'Close', onclick: () => pane.classList.add('hidden') }, 'X'),
      ),
      h('p', { class: 'hint' }, `${channelLabel(c)}${evs.length ? ` · ${evs.join(', ')}` : ''}. Copied as ${snippetFormat === 'query' ? `a query string for ${method.value}` : `a ${formatLabel(snippetFormat)} body for ${method.value}`}.`),
      h(
        'div',
        { class: 'pane-actions' },
        h('button', { type: 'button', id: 'select-all', class: 'secondary small', onclick: () => selectAll() }, 'Select All'),
        h('button', { type: 'button', id: 'copy-variables', class: 'small', onclick: () => void copy() }, 'Copy to Clipboard'),
      ),
      list,
      h('h3', null, 'Snippet'),
      preview,
    )
    if (r.status !== 200) {
      list.append(h('p', { class: 'error' }, errorOf(r)))
      return
    }
    for (const v of r.data.variables) {
      list.append(
        h(
          'label',
          { class: 'var' },
          h('input', { type: 'checkbox', name: 'variable', value: v.name }),
          h('span', { class: 'var-name' }, v.name),
          h('span', { class: 'var-type' }, v.type),
          h('span', { class: 'var-desc' }, v.description),
          h('code', { class: 'var-example' }, JSON.stringify(v.example)),
        ),
      )
    }
    list.addEventListener('change', () => void refreshSnippet())

    function selectAll(): void {
      const boxes = [...list.querySelectorAll<HTMLInputElement>('input[name=variable]')]
      const all = boxes.every((b) => b.checked)
      for (const b of boxes) b.checked = !all
      void refreshSnippet()
    }

    async function refreshSnippet(): Promise<string> {
      const select = [...list.querySelectorAll<HTMLInputElement>('input[name=variable]:checked')].map((b) => b.value)
      const s = await api<{ snippet: string }>('POST', '/snippet', { channel: c.name, events: evs, select, format: snippetFormat })
      const text = s.status === 200 ? s.data.snippet : ''
      clear(preview)
      preview.append(text)
      return text
    }

    async function copy(): Promise<void> {
      const text = await refreshSnippet()
      const n = list.querySelectorAll('input[name=variable]:checked').length
      if (n === 0) {
        toast('Select at least one variable', 'error')
        return
      }
      try {
        await navigator.clipboard.writeText(text)
      } catch {
        // Without the async clipboard (an insecure origin), fall back to a selection copy.
        const ta = h('textarea', { class: 'offscreen' })
        ta.value = text
        document.body.append(ta)
        ta.select()
        document.execCommand('copy')
        ta.remove()
      }
      toast(`Copied ${n} variable${n === 1 ? '' : 's'} to the clipboard`, 'ok', snippetFormat === 'query' ? 'Paste them after ? in the endpoint.' : 'Paste them into the Request Body.')
    }
  }

  // ---- building, checking, sending

  function parseBody(): unknown {
    const text = body.value.trim()
    if (text === '') return undefined
    try {
      return JSON.parse(text)
    } catch {
      // Pasted JSON text with bare <name> placeholders, or a urlencoded template: kept as a string.
      return body.value
    }
  }

  function buildRaw(): Raw {
    const raw: Raw = { ...original }
    const c = current()
    raw.id = profileId.value.trim()
    raw.title = title.value
    raw.account = account.value.trim()
    raw.channel = c.name
    if (!c.catchAll) {
      const evs = selectedEvents()
      if (evs.length) raw.events = evs
      else delete raw.events
    }
    raw.method = method.value
    raw.endpoint = endpoint.value.trim()
    const b = BODY_METHODS.includes(method.value) ? parseBody() : undefined
    if (b === undefined) delete raw.body
    else raw.body = b
    // A GET profile without a format keeps its file as it was; anything else says it.
    if (original.format !== undefined || format.value !== 'json' || BODY_METHODS.includes(method.value)) raw.format = format.value
    else delete raw.format
    const n = retries()
    if (n === 'standard') {
      const kept: Raw = {}
      if (interval.value !== '') kept.intervalSeconds = Number(interval.value)
      if (timeout.value !== '') kept.timeoutMs = Number(timeout.value)
      if (Object.keys(kept).length) raw.retry = kept
      else delete raw.retry
    } else {
      const r: Raw = { count: n }
      if (interval.value !== '') r.intervalSeconds = Number(interval.value)
      if (timeout.value !== '') r.timeoutMs = Number(timeout.value)
      raw.retry = r
    }
    const hs: Record<string, string> = {}
    for (const row of headers.querySelectorAll('.kv-row')) {
      const name = (row.querySelector('.header-name') as HTMLInputElement).value.trim()
      const value = (row.querySelector('.header-value') as HTMLInputElement).value
      if (name !== '') hs[name] = value
    }
    if (Object.keys(hs).length) raw.headers = hs
    else delete raw.headers
    if (encToggle.checked) {
      raw.encryption = {
        algorithm: encAlgorithm.value,
        key: encKey.value,
        iv: encIv.value.trim() || 'random',
        parameters: encParams.value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      }
    } else delete raw.encryption
    return raw
  }

  function clearErrors(): void {
    for (const el of main.querySelectorAll('.field-error')) clear(el)
    for (const el of main.querySelectorAll('.invalid')) el.classList.remove('invalid')
    clear(summary)
    summary.classList.add('hidden')
  }

  /** Puts each problem beside its field; returns the step of the first error. */
  function showProblems(ds: Array<Pick<PublicDiagnostic, 'level' | 'pointer' | 'message'>>): 1 | 2 | undefined {
    clearErrors()
    let first: 1 | 2 | undefined
    const loose: string[] = []
    for (const d of ds) {
      const f = fieldOf(d.pointer)
      const slot = f ? main.querySelector<HTMLElement>(`.field-error[data-for="${f.id}"]`) : null
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

  function checkStep1(): boolean {
    const ds: Array<Pick<PublicDiagnostic, 'level' | 'pointer' | 'message'>> = []
    const err = (pointer: string, message: string) => ds.push({ level: 'error', pointer, message })
    if (account.value.trim() === '') err('/account', 'Enter the account.')
    if (!TITLE_RULE.test(title.value)) err('/title', 'Use 3 to 100 letters, numbers, spaces, hyphens or underscores.')
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(profileId.value.trim())) err('/id', 'Lower-case letters, digits, - and _, starting with a letter or digit.')
    if (endpoint.value.trim() === '') err('/endpoint', 'Enter the endpoint URL.')
    const n = retries()
    if (typeof n === 'number' && n > 0) {
      if (interval.value === '' || !(Number(interval.value) > 0)) err('/retry/intervalSeconds', 'Required when retries are above 0: seconds before the first retry.')
      if (timeout.value === '' || !(Number(timeout.value) >= 1)) err('/retry/timeoutMs', 'Required when retries are above 0: the time limit of one attempt, in ms.')
    }
    showProblems(ds)
    return ds.length === 0
  }

  function next(): void {
    if (checkStep1()) showStep(2)
  }

  async function runTest(): Promise<void> {
    const button = byId<HTMLButtonElement>('test')
    button.disabled = true
    try {
      const r = await api<{ ok: boolean; status: number | null; error: string | null; latencyMs: number; request: { method: string; url: string }; diagnostics?: PublicDiagnostic[] }>('POST', '/test', { raw: buildRaw() })
      if (r.status === 422 && r.data.diagnostics) {
        showProblems(r.data.diagnostics)
        toast('Callback test not sent', 'error', 'Fix the highlighted fields first.')
      } else if (r.status !== 200) toast('Callback test failed', 'error', errorOf(r))
      else if (r.data.ok) {
        clearErrors()
        toast('Callback profile tested', 'ok', `${r.data.request.method} ${r.data.request.url} → ${r.data.status} in ${Math.round(r.data.latencyMs)} ms`)
      } else toast(`Callback test failed: ${r.data.error ?? 'no response'}`, 'error', `${r.data.request.method} ${r.data.request.url}`)
    } finally {
      button.disabled = false
    }
  }

  async function save(): Promise<void> {
    if (!checkStep1()) {
      showStep(1)
      return
    }
    const raw = buildRaw()
    const button = byId<HTMLButtonElement>('save')
    button.disabled = true
    try {
      const r =
        editId === undefined
          ? await api<SaveAnswer>('POST', '/profiles', { raw })
          : await api<SaveAnswer>('PUT', `/profiles/${encodeURIComponent(editId)}`, { raw })
      if (r.status === 200 || r.status === 201) {
        if (r.data.reload && !r.data.reload.ok) toast('Callback profile saved, but the daemon kept its last good profiles', 'error', r.data.reload.errors.join('; '))
        else toast('Callback profile saved', 'ok', `${r.data.file} · the daemon uses it now`)
        window.location.hash = '#/profiles'
        return
      }
      if (r.status === 422 && r.data.diagnostics) {
        const step = showProblems(r.data.diagnostics)
        if (step) showStep(step)
        toast('The profile was not saved', 'error', 'Fix the highlighted fields.')
        return
      }
      toast('The profile was not saved', 'error', errorOf(r))
    } finally {
      button.disabled = false
    }
  }
}
