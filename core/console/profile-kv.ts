// The KV store for the console (DESIGN "Several daemons"): a profile is one key of
// CALLBACK_PROFILES, its value the profile as written (`${env:…}` kept; each daemon expands
// from its own environment), checked like every console save (profile-store.ts). Every
// write is a compare-and-set: a create only where no profile is, an edit, enable/disable or
// delete only at the revision the operator saw. A stale one is refused (409
// CONSOLE_PROFILE_STALE, with the store's revision): a change made meanwhile through
// another daemon's console, or by `profiles push`, is never overwritten unseen.
import type { KV, KvEntry } from 'nats'
import { keyMismatch, kvProfileFile } from '../config/kv-profiles'
import { diagnostic } from '../diagnostics'
import { CallbackRouterError } from '../errors'
import { deleteProfileKey, isWrongRevision, readBucket, writeProfile } from '../jetstream/profile-bucket'
import { checkSave, hasError, invalid, storedText, type ConsoleProfileStore, type StoreConfig, type StoreResult } from './profile-store'

/** The key's entry (a delete marker too); null when it never was, or the id is no valid key. */
async function entryOf(kv: KV, id: string): Promise<KvEntry | null> {
  try {
    return await kv.get(id)
  } catch (e) {
    if (/invalid key/i.test((e as Error).message ?? '')) return null
    throw e
  }
}

function parsed(id: string, e: KvEntry): Record<string, unknown> {
  try {
    return JSON.parse(e.string()) as Record<string, unknown>
  } catch (err) {
    // A raw value written around `profiles push`: shown as the daemons see it.
    throw invalid([diagnostic('error', 'CONFIG_INVALID_JSON', kvProfileFile(id), '', [(err as Error).message])])
  }
}

/** Someone wrote `id` after the revision the operator edited: say at which revision it is now. */
async function stale(kv: KV, id: string, edited: number): Promise<never> {
  const now = (await entryOf(kv, id))?.revision ?? 0
  throw new CallbackRouterError('CONSOLE_PROFILE_STALE', [id, now, edited], undefined, { revision: now })
}

/** Runs a compare-and-set write; a refused one is answered as stale. */
async function casWrite<T>(kv: KV, id: string, edited: number, write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (e) {
    if (!isWrongRevision(e)) throw e
    return stale(kv, id, edited)
  }
}

export function kvStore(config: StoreConfig, env: NodeJS.ProcessEnv, bucket: () => Promise<KV>): ConsoleProfileStore {
  const current = async (id: string): Promise<KvEntry | undefined> => {
    const e = await entryOf(await bucket(), id)
    return e && e.operation === 'PUT' ? e : undefined
  }

  const save = async (raw: unknown, originalId: string | undefined, revision: number | undefined, strict: boolean): Promise<StoreResult> => {
    const written = (raw as { id?: unknown } | null)?.id
    const id = originalId ?? (typeof written === 'string' ? written : '')
    const file = kvProfileFile(id)
    const { profile, diagnostics } = checkSave(config, raw, file, env, originalId, strict)
    const moved = profile && originalId !== undefined ? keyMismatch(originalId, raw) : undefined
    if (moved) diagnostics.push(moved)
    if (!profile || hasError(diagnostics)) return { ok: false, diagnostics }
    const kv = await bucket()
    const text = storedText(raw, profile.events)
    if (originalId === undefined) {
      try {
        return { ok: true, diagnostics, id, file, revision: await writeProfile(kv, id, text, 0) }
      } catch (e) {
        if (!isWrongRevision(e)) throw e
        return { ok: false, diagnostics: [...diagnostics, diagnostic('error', 'CONFIG_DUPLICATE_ID', file, '/id', [id, file])] }
      }
    }
    if (revision === undefined || !(revision > 0)) throw new CallbackRouterError('CONSOLE_BAD_REQUEST', ['revision: send the revision the edit started from (GET /profiles/:id answers it)'])
    return { ok: true, diagnostics, id, file, revision: await casWrite(kv, id, revision, () => writeProfile(kv, id, text, revision)) }
  }

  return {
    has: async (id) => (await current(id)) !== undefined,
    async read(id) {
      const e = await current(id)
      return e && { raw: parsed(id, e), file: kvProfileFile(id), revision: e.revision }
    },
    save: (raw, originalId, revision) => save(raw, originalId, revision, true),
    async setEnabled(id, enabled, revision) {
      const e = await current(id)
      if (!e) return undefined
      return save({ ...parsed(id, e), enabled }, id, revision ?? e.revision, false)
    },
    async remove(id, revision) {
      const e = await current(id)
      if (!e) return undefined
      const kv = await bucket()
      const edited = revision ?? e.revision
      await casWrite(kv, id, edited, () => deleteProfileKey(kv, id, edited))
      return { file: kvProfileFile(id), revision: (await entryOf(kv, id))?.revision }
    },
    async revisions() {
      const { entries } = await readBucket(await bucket())
      return new Map(entries.map((e) => [e.id, e.revision]))
    },
  }
}
