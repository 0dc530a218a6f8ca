// New (or Edit) Callback Profile: step 1 (account, title, channel, events, method,
// endpoint, dynamic variables, body, retry, Test, Next) and step 2, Advanced
// Configuration (data format, headers, encryption, Save). This page wires the parts:
// the controls (editor-form), what they show (editor-state), the profile they describe
// (editor-raw), problems beside fields (editor-problems) and the variables pane.
import { h, clear, byId } from './dom'
import { api, errorOf, type PublicDiagnostic } from './api'
import { toast, type Meta } from './ui'
import { buildForm, type EditorActions, type EditorForm, type Raw, type RetryRaw } from './editor-form'
import { addHeader, renderEvents, renderRetry, showBody, showEncryption, showRetryFields, showStep, showTitleRule } from './editor-state'
import { buildRaw } from './editor-raw'
import { clearErrors, showProblems, step1Problems } from './editor-problems'
import { openPane } from './variables-pane'
import { slug } from './profile-rules'

interface SaveAnswer {
  id: string
  file: string
  revision?: number
  diagnostics: PublicDiagnostic[]
  reload?: { ok: boolean; errors: string[] }
}

interface TestAnswer {
  ok: boolean
  status: number | null
  error: string | null
  latencyMs: number
  request: { method: string; url: string }
  diagnostics?: PublicDiagnostic[]
}

export async function editorPage(main: HTMLElement, meta: Meta, editId?: string): Promise<void> {
  let original: Raw = {}
  let file: string | undefined
  // With the KV store: the revision this edit started from, which Save carries.
  let revision: number | undefined
  if (editId !== undefined) {
    const r = await api<{ raw: Raw; file: string; revision?: number }>('GET', `/profiles/${encodeURIComponent(editId)}`)
    if (r.status !== 200) {
      clear(main)
      main.append(h('h1', null, 'Edit Callback Profile'), h('p', { class: 'error' }, errorOf(r)))
      return
    }
    original = r.data.raw
    file = r.data.file
    revision = r.data.revision
  }
  // The buttons act on the form they belong to, which exists by the time anyone clicks.
  const actions: EditorActions = {
    openPane: () => void openPane(form),
    test: () => void runTest(main, form),
    next: () => checkStep1(main, form) && showStep(form, 2),
    back: () => showStep(form, 1),
    save: () => void save(main, form, revision),
    addHeader: () => addHeader(form, '', ''),
  }
  const form = buildForm(meta, original, editId, file, actions)
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
        form.summary,
        form.step1,
        form.step2,
      ),
      form.pane,
    ),
  )
  wire(form)
}

/** Reactions to edits, then the form's first state. */
function wire(f: EditorForm): void {
  for (const [k, v] of Object.entries((f.original.headers as Record<string, string> | undefined) ?? {})) addHeader(f, k, v)
  if (!f.original.headers) addHeader(f, '', '')
  let idTouched = f.editId !== undefined
  const paneOpen = () => !f.pane.classList.contains('hidden')
  f.title.addEventListener('input', () => {
    showTitleRule(f)
    if (!idTouched) f.profileId.value = slug(f.title.value)
  })
  f.profileId.addEventListener('input', () => (idTouched = true))
  f.channel.addEventListener('change', () => {
    renderEvents(f, [])
    renderRetry(f, undefined)
    if (paneOpen()) void openPane(f)
  })
  f.method.addEventListener('change', () => {
    showBody(f)
    if (paneOpen()) void openPane(f)
  })
  f.format.addEventListener('change', () => paneOpen() && void openPane(f))
  f.retry.addEventListener('change', () => showRetryFields(f))
  f.encToggle.addEventListener('change', () => showEncryption(f))
  renderEvents(f, (f.original.events as string[] | undefined) ?? [])
  renderRetry(f, f.original.retry as RetryRaw | undefined)
  showTitleRule(f)
  showBody(f)
  showEncryption(f)
}

function checkStep1(main: HTMLElement, f: EditorForm): boolean {
  const ds = step1Problems(f)
  showProblems(main, f.summary, ds)
  return ds.length === 0
}

async function runTest(main: HTMLElement, f: EditorForm): Promise<void> {
  const button = byId<HTMLButtonElement>('test')
  button.disabled = true
  try {
    const r = await api<TestAnswer>('POST', '/test', { raw: buildRaw(f) })
    if (r.status === 422 && r.data.diagnostics) {
      showProblems(main, f.summary, r.data.diagnostics)
      toast('Callback test not sent', 'error', 'Fix the highlighted fields first.')
    } else if (r.status !== 200) toast('Callback test failed', 'error', errorOf(r))
    else if (r.data.ok) {
      clearErrors(main, f.summary)
      toast('Callback profile tested', 'ok', `${r.data.request.method} ${r.data.request.url} → ${r.data.status} in ${Math.round(r.data.latencyMs)} ms`)
    } else toast(`Callback test failed: ${r.data.error ?? 'no response'}`, 'error', `${r.data.request.method} ${r.data.request.url}`)
  } finally {
    button.disabled = false
  }
}

async function save(main: HTMLElement, f: EditorForm, revision: number | undefined): Promise<void> {
  if (!checkStep1(main, f)) return showStep(f, 1)
  const raw = buildRaw(f)
  const button = byId<HTMLButtonElement>('save')
  button.disabled = true
  try {
    const r = f.editId === undefined ? await api<SaveAnswer>('POST', '/profiles', { raw }) : await api<SaveAnswer>('PUT', `/profiles/${encodeURIComponent(f.editId)}`, { raw, revision })
    if (r.status === 200 || r.status === 201) {
      if (r.data.reload && !r.data.reload.ok) toast('Callback profile saved, but the daemon kept its last good profiles', 'error', r.data.reload.errors.join('; '))
      else toast('Callback profile saved', 'ok', `${r.data.file} · the daemon uses it now`)
      window.location.hash = '#/profiles'
      return
    }
    if (r.status === 422 && r.data.diagnostics) {
      const step = showProblems(main, f.summary, r.data.diagnostics)
      if (step) showStep(f, step)
      toast('The profile was not saved', 'error', 'Fix the highlighted fields.')
      return
    }
    if (r.status === 409) showStale(main, f, errorOf(r))
    toast('The profile was not saved', 'error', errorOf(r))
  } finally {
    button.disabled = false
  }
}

/** A stale save (someone else saved this profile since it was opened): said above the form, with a way to reload it. */
function showStale(main: HTMLElement, f: EditorForm, message: string): void {
  clearErrors(main, f.summary)
  f.summary.classList.remove('hidden')
  const reload = h('button', { type: 'button', class: 'small', id: 'stale-reload', onclick: () => window.location.reload() }, 'Reload the profile')
  f.summary.append(h('div', { id: 'stale' }, h('strong', null, 'Not saved: '), message, ' ', reload))
}
