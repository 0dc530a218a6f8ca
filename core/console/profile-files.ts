// Writes profile files for the console: the raw JSON as the operator wrote it
// (`${env:…}` kept as text), checked by the same rules as `validate`, written
// atomically so the daemon's watcher never reads half a file.
import { randomBytes } from 'node:crypto'
import { readFile, rename, unlink, writeFile, access } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { channelLock, type LoadedConfig, type LoadedProfile } from '../config/settings'
import { checkProfile } from '../config/profile-check'
import { diagnostic, type Diagnostic } from '../diagnostics'

export interface StoreResult {
  ok: boolean
  /** Errors and warnings, each with its JSON pointer (empty when clean). */
  diagnostics: Diagnostic[]
  id?: string
  file?: string
}

type Config = Pick<LoadedConfig, 'profiles' | 'profilesDir' | 'registry'>

export function findProfile(config: Config, id: string): LoadedProfile | undefined {
  return config.profiles.find((p) => p.profile.id === id)
}

/**
 * Creates `<profilesDir>/<id>.json`, or (with `originalId`) writes the profile
 * back to the file it came from. Refuses an id another profile uses and a file
 * name that already exists.
 */
/**
 * `strict` (the console API's saves): refuses what the form refuses instead of filling
 * defaults as files do. A profile keeps its channel: moving it is refused.
 */
export async function saveProfile(config: Config, raw: unknown, env: NodeJS.ProcessEnv, originalId?: string, strict = true): Promise<StoreResult> {
  const id = (raw as { id?: unknown } | null)?.id
  let file: string
  if (originalId !== undefined) {
    const existing = findProfile(config, originalId)
    if (!existing) return { ok: false, diagnostics: [diagnostic('error', 'CONFIG_FILE_UNREADABLE', join(config.profilesDir, `${originalId}.json`), '', [`no profile "${originalId}"`])] }
    file = existing.file
  } else {
    file = join(config.profilesDir, `${typeof id === 'string' && /^[a-z0-9][a-z0-9_-]*$/.test(id) ? id : 'invalid-id'}.json`)
  }
  const check = checkProfile(raw, file, config.registry, { env, strict })
  const diagnostics = [...check.diagnostics]
  const locked = check.profile && originalId !== undefined ? channelLock(check.profile, config.profiles, file) : undefined
  if (locked) diagnostics.push(locked)
  if (typeof id === 'string') {
    const other = config.profiles.find((p) => p.profile.id === id && p.file !== file)
    if (other) diagnostics.push(diagnostic('error', 'CONFIG_DUPLICATE_ID', file, '/id', [id, basename(other.file)]))
    else if (originalId === undefined && (await exists(file))) diagnostics.push(diagnostic('error', 'CONFIG_DUPLICATE_ID', file, '/id', [id, basename(file)]))
  }
  if (!check.profile || diagnostics.some((d) => d.level === 'error')) return { ok: false, diagnostics }
  await writeAtomic(file, JSON.stringify(withCatalogEvents(raw, check.profile.events), null, 2) + '\n')
  return { ok: true, diagnostics, id: id as string, file }
}

/** Sets `enabled` in the file as it is on disk now, leaving every other byte of meaning alone. */
export async function setEnabled(config: Config, id: string, enabled: boolean, env: NodeJS.ProcessEnv): Promise<StoreResult | undefined> {
  const existing = findProfile(config, id)
  if (!existing) return undefined
  const raw = JSON.parse(await readFile(existing.file, 'utf8')) as Record<string, unknown>
  raw.enabled = enabled
  return saveProfile(config, raw, env, id, false)
}

/** Event names written as the catalog spells them, unless the file names them through `${env:…}`. */
function withCatalogEvents(raw: unknown, events: readonly string[] | undefined): unknown {
  const written = (raw as { events?: unknown }).events
  if (!events || !Array.isArray(written) || written.some((e) => typeof e !== 'string' || e.includes('${env:'))) return raw
  return { ...(raw as Record<string, unknown>), events: [...events] }
}

export async function deleteProfile(config: Config, id: string): Promise<string | undefined> {
  const existing = findProfile(config, id)
  if (!existing) return undefined
  await unlink(existing.file)
  return existing.file
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
