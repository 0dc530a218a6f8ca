// The profile the form describes: the profile as written, with the form's fields put
// over it. Keys the form does not show (auth, signing, rateLimit, `${env:…}` text) go
// back to the file untouched.
import type { EditorForm, Raw } from './editor-form'
import { currentChannel, hasBody, retries, selectedEvents } from './editor-state'

/** JSON when it parses; pasted JSON text with bare <name> placeholders, or a urlencoded template, stays a string. */
export function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text.trim())
  } catch {
    return text
  }
}

function retryOf(f: EditorForm): Raw | undefined {
  const kept: Raw = {}
  const n = retries(f)
  if (n !== 'standard') kept.count = n
  if (f.interval.value !== '') kept.intervalSeconds = Number(f.interval.value)
  if (f.timeout.value !== '') kept.timeoutMs = Number(f.timeout.value)
  // "Channel standard" with nothing else set omits retry altogether.
  return Object.keys(kept).length ? kept : undefined
}

function headersOf(f: EditorForm): Record<string, string> | undefined {
  const hs: Record<string, string> = {}
  for (const row of f.headers.querySelectorAll('.kv-row')) {
    const name = (row.querySelector('.header-name') as HTMLInputElement).value.trim()
    if (name !== '') hs[name] = (row.querySelector('.header-value') as HTMLInputElement).value
  }
  return Object.keys(hs).length ? hs : undefined
}

function encryptionOf(f: EditorForm): Raw | undefined {
  if (!f.encToggle.checked) return undefined
  const parameters = f.encParams.value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return { algorithm: f.encAlgorithm.value, key: f.encKey.value, iv: f.encIv.value.trim() || 'random', parameters }
}

/** Sets `key` to `value`, or removes it when undefined (so the file keeps no empty keys). */
function put(raw: Raw, key: string, value: unknown): void {
  if (value === undefined) delete raw[key]
  else raw[key] = value
}

export function buildRaw(f: EditorForm): Raw {
  const raw: Raw = { ...f.original }
  const c = currentChannel(f)
  raw.id = f.profileId.value.trim()
  raw.title = f.title.value
  raw.account = f.account.value.trim()
  raw.channel = c.name
  if (!c.catchAll) {
    const evs = selectedEvents(f)
    put(raw, 'events', evs.length ? evs : undefined)
  }
  raw.method = f.method.value
  raw.endpoint = f.endpoint.value.trim()
  put(raw, 'body', hasBody(f) ? parseBody(f.body.value) : undefined)
  // A GET profile without a format keeps its file as it was; anything else says it.
  const sayFormat = f.original.format !== undefined || f.format.value !== 'json' || hasBody(f)
  put(raw, 'format', sayFormat ? f.format.value : undefined)
  put(raw, 'retry', retryOf(f))
  put(raw, 'headers', headersOf(f))
  put(raw, 'encryption', encryptionOf(f))
  return raw
}
