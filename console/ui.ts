// Shared pieces of the pages: the toast (bottom left, as on the reference page),
// the confirmation dialog, and the labels of channels and formats.
import { h, clear, byId } from './dom'
import type { ChannelMeta } from '../core/json-shapes'

let toastTimer: number | undefined

/** Shows a message bottom left; `detail` is a smaller second line. */
export function toast(message: string, kind: 'ok' | 'error' = 'ok', detail?: string): void {
  const el = byId('toast')
  clear(el)
  el.className = `toast show ${kind}`
  el.appendChild(h('span', { class: 'toast-message' }, message))
  if (detail) el.appendChild(h('span', { class: 'toast-detail' }, detail))
  if (toastTimer !== undefined) window.clearTimeout(toastTimer)
  toastTimer = window.setTimeout(() => {
    el.className = 'toast'
  }, 8000)
}

/** A modal asking to confirm; resolves true on the confirm button. */
export function confirmDialog(title: string, text: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const close = (answer: boolean) => {
      backdrop.remove()
      resolve(answer)
    }
    const backdrop = h(
      'div',
      { class: 'modal-backdrop' },
      h(
        'div',
        { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'modal-title' },
        h('h2', { id: 'modal-title' }, title),
        h('p', null, text),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', id: 'modal-cancel', onclick: () => close(false) }, 'Cancel'),
          h('button', { type: 'button', class: 'danger', id: 'modal-confirm', onclick: () => close(true) }, confirmLabel),
        ),
      ),
    )
    document.body.appendChild(backdrop)
    ;(backdrop.querySelector('#modal-cancel') as HTMLButtonElement).focus()
  })
}

export type { ChannelMeta, Meta } from '../core/json-shapes'

/** A channel's label is its plugin's title: a new plugin brings its own. */
export function channelLabel(c: ChannelMeta): string {
  return c.title
}

/** The plugins' order (plugins/index.ts), with the catch-all (Default) last. */
export function orderedChannels(channels: readonly ChannelMeta[]): ChannelMeta[] {
  return [...channels.filter((c) => !c.catchAll), ...channels.filter((c) => c.catchAll)]
}

export const FORMAT_LABELS: Record<string, string> = { form: 'Form Data', urlencoded: 'URL Encoded', json: 'JSON' }

export function formatLabel(f: string): string {
  return FORMAT_LABELS[f] ?? f
}
