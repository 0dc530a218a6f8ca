// A profile's endpoint health in the list (DESIGN "Endpoint health"): its state (closed:
// sending; open: the breaker holds its deliveries; paused: held until Resume) with the
// reason, and Pause / Resume, which act for every daemon as `profiles pause|resume` do.
import { h } from './dom'
import { api, errorOf } from './api'
import { toast } from './ui'
import type { ProfileRow } from '../core/json-shapes'

const REASONS: Record<string, string> = {
  consecutive_failures: 'the endpoint failed again and again',
  probe_failed: 'a probe failed',
  gone: 'the endpoint answered 410 Gone',
  open_too_long: 'the breaker stayed open too long',
  operator: 'by an operator',
}

/** The state cell: the state, why, and the button that changes it. */
export function healthCell(p: ProfileRow, reload: () => Promise<void>): HTMLTableCellElement {
  const act = async (action: 'pause' | 'resume') => {
    const r = await api<{ state: string; changed: boolean }>('POST', `/profiles/${encodeURIComponent(p.id)}/${action}`)
    if (r.status !== 200) toast(action === 'pause' ? 'Could not pause the profile' : 'Could not resume the profile', 'error', errorOf(r))
    else if (action === 'pause') toast('Callback profile paused', 'ok', `${p.title}: its callbacks are held until Resume`)
    else toast('Callback profile resumed', 'ok', `${p.title}: held callbacks are delivered at its rate`)
    await reload()
  }
  const reason = p.stateReason ? (REASONS[p.stateReason] ?? p.stateReason) : null
  return h(
    'td',
    { class: `state ${p.state}` },
    h('span', { class: 'state-name', 'data-state': p.state }, p.state),
    reason && p.state !== 'closed' ? h('div', { class: 'sub state-reason' }, reason) : null,
    h(
      'div',
      { class: 'row-actions' },
      p.state === 'paused' || p.state === 'unknown' ? null : h('button', { type: 'button', class: 'small secondary', 'data-action': 'pause', onclick: () => void act('pause') }, 'Pause'),
      p.state === 'closed' || p.state === 'unknown' ? null : h('button', { type: 'button', class: 'small', 'data-action': 'resume', onclick: () => void act('resume') }, 'Resume'),
    ),
  )
}
