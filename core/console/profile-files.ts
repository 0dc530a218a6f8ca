// The files store for the console: the raw JSON as the operator wrote it (`${env:…}` kept
// as text), checked by profile-store.ts's checks, written atomically so the daemon's
// watcher never reads half a file; a profile is saved back to the file it came from.
import { randomBytes } from 'node:crypto'
import { readFile, rename, unlink, writeFile, access } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { diagnostic } from '../diagnostics'
import { checkSave, findProfile, hasError, storedText, type ConsoleProfileStore, type StoreConfig, type StoreResult } from './profile-store'

/**
 * Creates `<profilesDir>/<id>.json`, or (with `originalId`) writes the profile back to
 * the file it came from. Refuses an id another profile uses and a file name that already
 * exists.
 */
export async function saveProfile(config: StoreConfig, raw: unknown, env: NodeJS.ProcessEnv, originalId?: string, strict = true): Promise<StoreResult> {
  const id = (raw as { id?: unknown } | null)?.id
  let file: string
  if (originalId !== undefined) {
    const existing = findProfile(config, originalId)
    if (!existing) return { ok: false, diagnostics: [diagnostic('error', 'CONFIG_FILE_UNREADABLE', join(config.profilesDir, `${originalId}.json`), '', [`no profile "${originalId}"`])] }
    file = existing.file
  } else {
    file = join(config.profilesDir, `${typeof id === 'string' && /^[a-z0-9][a-z0-9_-]*$/.test(id) ? id : 'invalid-id'}.json`)
  }
  const { profile, diagnostics } = checkSave(config, raw, file, env, originalId, strict)
  const duplicate = diagnostics.some((d) => d.code === 'CONFIG_DUPLICATE_ID')
  if (typeof id === 'string' && originalId === undefined && !duplicate && (await exists(file))) diagnostics.push(diagnostic('error', 'CONFIG_DUPLICATE_ID', file, '/id', [id, basename(file)]))
  if (!profile || hasError(diagnostics)) return { ok: false, diagnostics }
  await writeAtomic(file, storedText(raw, profile.events))
  return { ok: true, diagnostics, id: id as string, file }
}

/** Sets `enabled` in the file as it is on disk now, leaving every other byte of meaning alone. */
export async function setEnabled(config: StoreConfig, id: string, enabled: boolean, env: NodeJS.ProcessEnv): Promise<StoreResult | undefined> {
  const existing = findProfile(config, id)
  if (!existing) return undefined
  const raw = JSON.parse(await readFile(existing.file, 'utf8')) as Record<string, unknown>
  raw.enabled = enabled
  return saveProfile(config, raw, env, id, false)
}

export async function deleteProfile(config: StoreConfig, id: string): Promise<string | undefined> {
  const existing = findProfile(config, id)
  if (!existing) return undefined
  await unlink(existing.file)
  return existing.file
}

/** The files of profilesDir as the console's store (revisions do not apply: the last save wins). */
export function filesStore(config: StoreConfig, env: NodeJS.ProcessEnv): ConsoleProfileStore {
  return {
    has: async (id) => findProfile(config, id) !== undefined,
    async read(id) {
      const p = findProfile(config, id)
      return p && { raw: JSON.parse(await readFile(p.file, 'utf8')), file: p.file }
    },
    save: (raw, originalId) => saveProfile(config, raw, env, originalId),
    setEnabled: (id, enabled) => setEnabled(config, id, enabled, env),
    remove: async (id) => {
      const file = await deleteProfile(config, id)
      return file === undefined ? undefined : { file }
    },
    revisions: async () => undefined,
  }
}

/** Temp file in the same folder (not `*.json`, so the watcher skips it), then rename. */
export async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    await writeFile(tmp, text, { encoding: 'utf8', mode: 0o644 })
    await rename(tmp, file)
  } catch (e) {
    await unlink(tmp).catch(() => undefined)
    throw e
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file)
    return true
  } catch {
    return false
  }
}
