// The console's entry point: layout, hash routes, and the metadata every page needs.
import { h, clear, byId } from './dom'
import { api, errorOf } from './api'
import { profilesPage } from './profiles-page'
import { editorPage } from './editor'
import { attemptsPage, deadLetterPage, deadLettersPage } from './dead-letters-page'
import type { Meta } from './ui'

let meta: Meta | undefined

async function route(): Promise<void> {
  const main = byId('main')
  const hash = window.location.hash.replace(/^#/, '') || '/profiles'
  const [path, query] = hash.split('?')
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent)
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('current', (a as HTMLAnchorElement).hash.slice(2).split('/')[0] === parts[0])
  if (!meta) {
    const r = await api<Meta>('GET', '/meta')
    if (r.status !== 200) {
      clear(main)
      main.append(h('p', { class: 'error' }, errorOf(r)))
      return
    }
    meta = r.data
  }
  if (parts[0] === 'profiles' && parts[1] === 'new') return editorPage(main, meta)
  if (parts[0] === 'profiles' && parts[2] === 'edit') return editorPage(main, meta, parts[1])
  if (parts[0] === 'dead-letters' && parts[1]) return deadLetterPage(main, parts[1])
  if (parts[0] === 'dead-letters') return deadLettersPage(main, new URLSearchParams(query ?? ''))
  if (parts[0] === 'attempts') return attemptsPage(main, parts[1])
  return profilesPage(main)
}

function layout(): void {
  const root = byId('app')
  root.append(
    h(
      'header',
      null,
      h('div', { class: 'brand' }, 'callback-router'),
      h(
        'nav',
        null,
        h('a', { href: '#/profiles' }, 'Callback Profiles'),
        h('a', { href: '#/dead-letters' }, 'Dead Letters'),
        h('a', { href: '#/attempts' }, 'Attempts'),
      ),
      h('form', { method: 'post', action: '/console/logout', class: 'logout' }, h('button', { type: 'submit', class: 'secondary small' }, 'Sign out')),
    ),
    h('main', { id: 'main' }),
    h('div', { id: 'toast', class: 'toast', role: 'status', 'aria-live': 'polite' }),
  )
}

layout()
window.addEventListener('hashchange', () => void route())
void route()
