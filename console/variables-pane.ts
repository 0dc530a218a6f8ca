// The Dynamic Variables pane: the catalog of the chosen channel and events (with the
// `_event.*` variables), Select All, and Copy to Clipboard as a query string for GET and
// DELETE or as a body in the chosen Data Format, built by the API's snippet builder.
import { h, clear } from './dom'
import { api, errorOf } from './api'
import { channelLabel, formatLabel, toast, type ChannelMeta } from './ui'
import type { VariableSpec } from '../core/json-shapes'
import type { EditorForm } from './editor-form'
import { currentChannel, hasBody, selectedEvents } from './editor-state'

interface PaneContext {
  channel: ChannelMeta
  events: string[]
  format: string
  method: string
}

function variableRow(v: VariableSpec): HTMLElement {
  return h(
    'label',
    { class: 'var' },
    h('input', { type: 'checkbox', name: 'variable', value: v.name }),
    h('span', { class: 'var-name' }, v.name),
    h('span', { class: 'var-type' }, v.type),
    h('span', { class: 'var-desc' }, v.description),
    h('code', { class: 'var-example' }, JSON.stringify(v.example)),
  )
}

function checked(list: HTMLElement): HTMLInputElement[] {
  return [...list.querySelectorAll<HTMLInputElement>('input[name=variable]:checked')]
}

async function refreshSnippet(ctx: PaneContext, list: HTMLElement, preview: HTMLElement): Promise<string> {
  const select = checked(list).map((b) => b.value)
  const s = await api<{ snippet: string }>('POST', '/snippet', { channel: ctx.channel.name, events: ctx.events, select, format: ctx.format })
  const text = s.status === 200 ? s.data.snippet : ''
  clear(preview)
  preview.append(text)
  return text
}

function selectAll(ctx: PaneContext, list: HTMLElement, preview: HTMLElement): void {
  const boxes = [...list.querySelectorAll<HTMLInputElement>('input[name=variable]')]
  const all = boxes.every((b) => b.checked)
  for (const b of boxes) b.checked = !all
  void refreshSnippet(ctx, list, preview)
}

async function copy(ctx: PaneContext, list: HTMLElement, preview: HTMLElement): Promise<void> {
  const text = await refreshSnippet(ctx, list, preview)
  const n = checked(list).length
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
  toast(`Copied ${n} variable${n === 1 ? '' : 's'} to the clipboard`, 'ok', ctx.format === 'query' ? 'Paste them after ? in the endpoint.' : 'Paste them into the Request Body.')
}

function paneContext(f: EditorForm): PaneContext {
  const channel = currentChannel(f)
  const events = channel.catchAll ? ((f.original.events as string[] | undefined) ?? []) : selectedEvents(f)
  const format = hasBody(f) ? (['json', 'urlencoded', 'form'].includes(f.format.value) ? f.format.value : 'json') : 'query'
  return { channel, events, format, method: f.method.value }
}

/** Opens (or refreshes) the pane for the form's current channel, events, method and format. */
export async function openPane(f: EditorForm): Promise<void> {
  const ctx = paneContext(f)
  const q = new URLSearchParams({ channel: ctx.channel.name })
  if (ctx.events.length) q.set('events', ctx.events.join(','))
  const r = await api<{ variables: VariableSpec[] }>('GET', `/variables?${q.toString()}`)
  const pane = f.pane
  clear(pane)
  pane.classList.remove('hidden')
  const preview = h('pre', { id: 'snippet-preview', class: 'snippet' })
  const list = h('div', { class: 'var-list' })
  const how = ctx.format === 'query' ? `a query string for ${ctx.method}` : `a ${formatLabel(ctx.format)} body for ${ctx.method}`
  pane.append(
    h(
      'div',
      { class: 'pane-head' },
      h('h2', null, 'Dynamic Variables'),
      h('button', { type: 'button', id: 'close-variables', class: 'close', 'aria-label': 'Close', title: 'Close', onclick: () => pane.classList.add('hidden') }, 'X'),
    ),
    h('p', { class: 'hint' }, `${channelLabel(ctx.channel)}${ctx.events.length ? ` · ${ctx.events.join(', ')}` : ''}. Copied as ${how}.`),
    h(
      'div',
      { class: 'pane-actions' },
      h('button', { type: 'button', id: 'select-all', class: 'secondary small', onclick: () => selectAll(ctx, list, preview) }, 'Select All'),
      h('button', { type: 'button', id: 'copy-variables', class: 'small', onclick: () => void copy(ctx, list, preview) }, 'Copy to Clipboard'),
    ),
    list,
    h('h3', null, 'Snippet'),
    preview,
  )
  if (r.status !== 200) {
    list.append(h('p', { class: 'error' }, errorOf(r)))
    return
  }
  for (const v of r.data.variables) list.append(variableRow(v))
  list.addEventListener('change', () => void refreshSnippet(ctx, list, preview))
}
