// The Callback Profiles page: the list, search by title, Add New Profile, edit,
// enable/disable and delete (after confirmation), each profile's health with Pause and
// Resume. With the KV store, enable/disable and delete carry the revision the row shows.
import { h, clear } from './dom'
import { api, errorOf, type PublicDiagnostic } from './api'
import { confirmDialog, toast } from './ui'
import { healthCell } from './profile-health'
import type { ProfileRow as SharedProfileRow } from '../core/json-shapes'

interface ProfileRow extends SharedProfileRow {
  /** The file it came from (or its KV key's name). */
  file: string
  /** With the KV store: the revision the row shows. */
  revision?: number
}

export async function profilesPage(main: HTMLElement): Promise<void> {
  const search = h('input', { type: 'search', id: 'search', placeholder: 'Search by title', 'aria-label': 'Search by title' })
  const body = h('div', { id: 'profiles-body' })
  clear(main)
  main.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, 'Callback Profiles'),
      h('div', { class: 'head-actions' }, search, h('a', { class: 'button', id: 'add-profile', href: '#/profiles/new' }, 'Add New Profile')),
    ),
    body,
  )
  let timer: number | undefined
  search.addEventListener('input', () => {
    if (timer !== undefined) window.clearTimeout(timer)
    timer = window.setTimeout(() => void load(), 200)
  })

  async function load(): Promise<void> {
    const q = search.value.trim()
    const r = await api<{ profiles: ProfileRow[]; diagnostics: PublicDiagnostic[] }>('GET', `/profiles${q ? `?search=${encodeURIComponent(q)}` : ''}`)
    clear(body)
    if (r.status !== 200) {
      body.append(h('p', { class: 'error' }, errorOf(r)))
      return
    }
    const problems = r.data.diagnostics.filter((d) => d.level === 'error')
    if (problems.length) {
      body.append(
        h(
          'div',
          { class: 'banner error', id: 'load-problems' },
          h('strong', null, 'Some profile files were not loaded:'),
          h('ul', null, problems.map((d) => h('li', null, `${d.file}:${d.pointer || '/'}: ${d.message}`))),
        ),
      )
    }
    if (r.data.profiles.length === 0) {
      body.append(h('p', { class: 'empty' }, q ? `No profile title matches "${q}".` : 'No callback profiles yet. Click Add New Profile.'))
      return
    }
    body.append(
      h(
        'table',
        { class: 'list', id: 'profiles-table' },
        h('thead', null, h('tr', null, ['Title', 'Channel', 'Events', 'Method', 'Endpoint', 'Enabled', 'State', ''].map((c) => h('th', null, c)))),
        h('tbody', null, r.data.profiles.map((p) => row(p, load))),
      ),
    )
  }

  await load()
}

/** One profile's row: title (edit link), channel, events, method, endpoint, the enabled switch, Edit and Delete. */
function row(p: ProfileRow, reload: () => Promise<void>): HTMLTableRowElement {
  const toggle = h('input', { type: 'checkbox', class: 'switch', checked: p.enabled, 'aria-label': `Enable ${p.title}`, 'data-action': 'toggle' })
  toggle.addEventListener('change', async () => {
    toggle.disabled = true
    const r = await api<{ revision?: number; reload?: { ok: boolean; errors: string[] } }>('POST', `/profiles/${encodeURIComponent(p.id)}/enabled`, { enabled: toggle.checked, revision: p.revision })
    toggle.disabled = false
    if (r.status === 200) p.revision = r.data.revision
    if (r.status === 200 && r.data.reload && !r.data.reload.ok) toast('Saved, but the daemon kept its last good profiles', 'error', r.data.reload.errors.join('; '))
    else if (r.status === 200) toast(toggle.checked ? 'Callback profile enabled' : 'Callback profile disabled', 'ok', p.title)
    else {
      toggle.checked = !toggle.checked
      toast('Could not change the profile', 'error', errorOf(r))
    }
  })
  const remove = async () => {
    const yes = await confirmDialog('Delete callback profile?', `"${p.title}" (${p.file}) will be deleted and receive no more callbacks.`, 'Delete')
    if (!yes) return
    const r = await api('DELETE', `/profiles/${encodeURIComponent(p.id)}${p.revision === undefined ? '' : `?revision=${p.revision}`}`)
    if (r.status === 200) {
      toast('Callback profile deleted', 'ok', p.title)
      await reload()
    } else toast('Could not delete the profile', 'error', errorOf(r))
  }
  return h(
    'tr',
    { 'data-profile-id': p.id, class: p.enabled ? '' : 'disabled' },
    h('td', { class: 'title' }, h('a', { href: `#/profiles/${encodeURIComponent(p.id)}/edit` }, p.title), h('div', { class: 'sub' }, `${p.id} · ${p.account}`)),
    h('td', { class: 'channel' }, p.channel),
    h('td', { class: 'events' }, p.events.join(', ')),
    h('td', { class: 'method' }, p.method),
    h('td', { class: 'endpoint' }, p.endpoint),
    h('td', null, toggle),
    healthCell(p, reload),
    h(
      'td',
      { class: 'row-actions' },
      h('a', { class: 'button small secondary', href: `#/profiles/${encodeURIComponent(p.id)}/edit`, 'data-action': 'edit' }, 'Edit'),
      h('button', { type: 'button', class: 'small danger', 'data-action': 'delete', onclick: remove }, 'Delete'),
    ),
  )
}
