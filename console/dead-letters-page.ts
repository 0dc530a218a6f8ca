// Dead letters (list, filter, show, replay) and the attempts of an event.
import { h, clear } from './dom'
import { api, errorOf } from './api'
import { confirmDialog, toast } from './ui'
import type { AttemptRecord as AttemptRow, DeadLetterEntry as DeadLetterRow } from '../core/json-shapes'
import { DELIVERY, HANDLING, ROUTING } from '../core/errors'

const REASONS = [...Object.keys(ROUTING), ...Object.keys(DELIVERY), ...Object.keys(HANDLING)]

export async function deadLettersPage(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const reason = h('select', { id: 'dl-reason', 'aria-label': 'Reason' }, h('option', { value: '' }, 'Any reason'), REASONS.map((r) => h('option', { value: r }, r)))
  reason.value = params.get('reason') ?? ''
  const profile = h('input', { id: 'dl-profile', type: 'text', placeholder: 'Profile id', value: params.get('profile') ?? '', 'aria-label': 'Profile id' })
  const q = h('input', { id: 'dl-search', type: 'search', placeholder: 'Search id, event, detail', value: params.get('q') ?? '', 'aria-label': 'Search' })
  const body = h('div', { id: 'dead-letters-body' })
  clear(main)
  main.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Dead Letters'), h('div', { class: 'head-actions' }, reason, profile, q, h('button', { type: 'button', id: 'dl-filter', class: 'secondary', onclick: () => void load() }, 'Filter'))),
    body,
  )
  reason.addEventListener('change', () => void load())

  async function load(): Promise<void> {
    const p = new URLSearchParams()
    if (reason.value) p.set('reason', reason.value)
    if (profile.value.trim()) p.set('profile', profile.value.trim())
    if (q.value.trim()) p.set('q', q.value.trim())
    const r = await api<{ deadLetters: DeadLetterRow[] }>('GET', `/dead-letters?${p.toString()}`)
    clear(body)
    if (r.status !== 200) {
      body.append(h('p', { class: 'error' }, errorOf(r)))
      return
    }
    if (r.data.deadLetters.length === 0) {
      body.append(h('p', { class: 'empty' }, 'No dead letters match.'))
      return
    }
    body.append(
      h(
        'table',
        { class: 'list', id: 'dead-letters-table' },
        h('thead', null, h('tr', null, ['When', 'Reason', 'Profile', 'Event', 'Attempts', 'Detail', ''].map((c) => h('th', null, c)))),
        h(
          'tbody',
          null,
          r.data.deadLetters.map((d) =>
            h(
              'tr',
              { 'data-dead-letter-id': d.id },
              h('td', null, d.at),
              h('td', null, h('span', { class: 'tag' }, d.reason)),
              h('td', null, d.profile ?? '—'),
              h('td', null, d.eventId ? h('a', { href: `#/attempts/${encodeURIComponent(d.eventId)}` }, d.eventId) : '—'),
              h('td', null, d.attempts),
              h('td', { class: 'detail' }, d.detail ?? ''),
              h(
                'td',
                { class: 'row-actions' },
                h('a', { class: 'button small secondary', href: `#/dead-letters/${encodeURIComponent(d.id)}`, 'data-action': 'show' }, 'Show'),
                h('button', { type: 'button', class: 'small', 'data-action': 'replay', onclick: () => void replay(d.id, load) }, 'Replay'),
              ),
            ),
          ),
        ),
      ),
    )
  }
  await load()
}

async function replay(id: string, after: () => Promise<void>): Promise<void> {
  if (!(await confirmDialog('Replay dead letter?', 'The event is delivered again to its profile, as a new cycle.', 'Replay'))) return
  const r = await api('POST', `/dead-letters/${encodeURIComponent(id)}/replay`)
  if (r.status === 200) toast('Dead letter replayed', 'ok', id)
  else toast('Replay failed', 'error', errorOf(r))
  await after()
}

export async function deadLetterPage(main: HTMLElement, id: string): Promise<void> {
  const r = await api<Record<string, unknown>>('GET', `/dead-letters/${encodeURIComponent(id)}`)
  clear(main)
  main.append(h('div', { class: 'page-head' }, h('h1', null, 'Dead Letter'), h('a', { class: 'button secondary', href: '#/dead-letters' }, 'Back to the list')))
  if (r.status !== 200) {
    main.append(h('p', { class: 'error' }, errorOf(r)))
    return
  }
  const { event, attempts, ...row } = r.data as { event?: unknown; attempts?: AttemptRow[] } & Record<string, unknown>
  main.append(
    h('dl', { class: 'facts', id: 'dead-letter-facts' }, Object.entries(row).map(([k, v]) => [h('dt', null, k), h('dd', null, typeof v === 'string' ? v : JSON.stringify(v))])),
    h('div', { class: 'actions' }, h('button', { type: 'button', id: 'replay', onclick: () => void replay(id, () => deadLetterPage(main, id)) }, 'Replay')),
    h('h2', null, 'Event'),
    h('pre', { class: 'snippet', id: 'dead-letter-event' }, event === undefined ? '(not kept)' : typeof event === 'string' ? event : JSON.stringify(event, null, 2)),
    h('h2', null, 'Attempts'),
    attemptsTable(attempts ?? []),
  )
}

export async function attemptsPage(main: HTMLElement, eventId?: string): Promise<void> {
  const input = h('input', { id: 'attempts-event', type: 'search', placeholder: 'Event id', value: eventId ?? '', 'aria-label': 'Event id' })
  const go = () => {
    const hash = `#/attempts/${encodeURIComponent(input.value.trim())}`
    // Show on the event already shown looks again: the attempt log is written in batches.
    if (window.location.hash === hash) void attemptsPage(main, input.value.trim())
    else window.location.hash = hash
  }
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') go()
  })
  clear(main)
  main.append(h('div', { class: 'page-head' }, h('h1', null, 'Delivery Attempts'), h('div', { class: 'head-actions' }, input, h('button', { type: 'button', id: 'attempts-show', class: 'secondary', onclick: go }, 'Show'))))
  if (!eventId) {
    main.append(h('p', { class: 'empty' }, 'Enter an event id to see every delivery attempt of it.'))
    return
  }
  const r = await api<{ attempts: AttemptRow[] }>('GET', `/attempts/${encodeURIComponent(eventId)}`)
  if (r.status !== 200) {
    main.append(h('p', { class: 'error' }, errorOf(r)))
    return
  }
  main.append(attemptsTable(r.data.attempts))
}

function attemptsTable(rows: AttemptRow[]): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, 'No attempts recorded.')
  return h(
    'table',
    { class: 'list', id: 'attempts-table' },
    h('thead', null, h('tr', null, ['When', 'Profile', 'Cycle', 'Attempt', 'Status', 'Latency', 'Error'].map((c) => h('th', null, c)))),
    h(
      'tbody',
      null,
      rows.map((a) =>
        h('tr', null, h('td', null, a.at), h('td', null, a.profile), h('td', null, a.cycle), h('td', null, a.attempt), h('td', null, a.status ?? '—'), h('td', null, `${Math.round(a.latencyMs)} ms`), h('td', null, a.error ?? '')),
      ),
    ),
  )
}
