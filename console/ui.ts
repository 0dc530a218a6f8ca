// Shared pieces of the pages: the toast (bottom left, as on the reference page),
// the confirmation dialog, and the channel labels the reference page uses.
import { h, clear, byId } from './dom'

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

/** The reference page's channel choices, in its order; other plugins go before Default. */
const REFERENCE_CHANNELS: Record<string, string> = {
  voice: 'Voice - callback dynamic variables and types from Voice',
  sms: 'SMS - callback dynamic variables and types from SMS',
  email: 'email - Email Gateway APIs',
  whatsapp: 'whatsApp - WhatsApp Callbacks',
}

export interface ChannelMeta {
  name: string
  title: string
  catchAll: boolean
  events: string[]
  retry: { maxRetries: number; intervalSeconds: number; backoff: string }
}

export interface Meta {
  channels: ChannelMeta[]
  formats: string[]
  methods: string[]
  algorithms: string[]
  defaultTimeoutMs: number
  deadLetters: boolean
  attempts: boolean
}

export function channelLabel(c: ChannelMeta): string {
  if (REFERENCE_CHANNELS[c.name]) return REFERENCE_CHANNELS[c.name]
  if (c.catchAll) return `${c.title.replace(/\s*\(.*\)$/, '')} - No channel selected`
  return `${c.title} - ${c.name}`
}

export function orderedChannels(channels: ChannelMeta[]): ChannelMeta[] {
  const known = Object.keys(REFERENCE_CHANNELS)
  const rank = (c: ChannelMeta) => (c.catchAll ? 1000 : known.includes(c.name) ? known.indexOf(c.name) : 100)
  return [...channels].sort((a, b) => rank(a) - rank(b))
}

export const FORMAT_LABELS: Record<string, string> = { form: 'Form Data', urlencoded: 'URL Encoded', json: 'JSON' }

export function formatLabel(f: string): string {
  return FORMAT_LABELS[f] ?? f
}
