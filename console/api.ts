// The console's JSON API client: same-origin fetch, the session cookie goes along.
export interface ApiResult<T> {
  status: number
  data: T
}

export type { PublicDiagnostic } from '../core/json-shapes'

export async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
  const res = await fetch(`/console/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (res.status === 401) {
    window.location.href = '/console/login'
  }
  const text = await res.text()
  let data: unknown = {}
  try {
    data = text ? JSON.parse(text) : {}
  } catch {
    data = { error: text }
  }
  return { status: res.status, data: data as T }
}

/** The API's error text (`{ error, code }`), or the status when the answer had none. */
export function errorOf(r: ApiResult<unknown>): string {
  const d = r.data as { error?: unknown }
  return typeof d?.error === 'string' ? d.error : `HTTP ${r.status}`
}
