// A console save, whichever store the daemons read: the files of profilesDir
// (profile-files.ts) or the KV bucket CALLBACK_PROFILES (profile-kv.ts). Both run the same
// checks here (`validate`'s rule book, strict as the form is, the channel lock of an edit,
// an id another profile uses) and write the same text; only where it goes differs.
import { basename } from 'node:path'
import { channelLock, type LoadedConfig } from '../config/settings'
import { checkProfile, type CheckedProfile } from '../config/profile-check'
import { isKvProfileFile } from '../config/kv-profiles'
import { diagnostic, type Diagnostic } from '../diagnostics'
import { CallbackRouterError } from '../errors'
import type { PublicDiagnostic } from '../json-shapes'

export interface StoreResult {
  ok: boolean
  /** Errors and warnings, each with its JSON pointer (empty when clean). */
  diagnostics: Diagnostic[]
  id?: string
  file?: string
  /** With the KV store: the revision this write made (the next save carries it). */
  revision?: number
}

export interface ProfileRead {
  /** As written: `${env:…}` kept, never expanded. */
  raw: unknown
  file: string
  /** With the KV store: the revision read, which a save of this edit must carry. */
  revision?: number
}

/** What the console's profile routes do with the active store. */
export interface ConsoleProfileStore {
  has(id: string): Promise<boolean>
  read(id: string): Promise<ProfileRead | undefined>
  /** Creates (no `originalId`) or edits; an edit in the KV store carries the `revision` it started from. */
  save(raw: unknown, originalId?: string, revision?: number): Promise<StoreResult>
  /** undefined: no such profile. */
  setEnabled(id: string, enabled: boolean, revision?: number): Promise<StoreResult | undefined>
  /** The name it was stored under; undefined: no such profile. */
  remove(id: string, revision?: number): Promise<{ file: string; revision?: number } | undefined>
  /** Each profile's revision (KV store only), so the list's actions carry theirs too. */
  revisions(): Promise<Map<string, number> | undefined>
}

export type StoreConfig = Pick<LoadedConfig, 'profiles' | 'profilesDir' | 'registry'>

export function findProfile(config: Pick<LoadedConfig, 'profiles'>, id: string): LoadedConfig['profiles'][number] | undefined {
  return config.profiles.find((p) => p.profile.id === id)
}

/**
 * The checks of every console save, under the name it is stored as (`file`). `strict` (the
 * API's saves): refuses what the form refuses instead of filling defaults as files do.
 * An edit (`originalId`) keeps its channel.
 */
export function checkSave(config: StoreConfig, raw: unknown, file: string, env: NodeJS.ProcessEnv, originalId: string | undefined, strict: boolean): { profile?: CheckedProfile; diagnostics: Diagnostic[] } {
  const check = checkProfile(raw, file, config.registry, { env, strict })
  const diagnostics = [...check.diagnostics]
  const locked = check.profile && originalId !== undefined ? channelLock(check.profile, config.profiles, file) : undefined
  if (locked) diagnostics.push(locked)
  const id = (raw as { id?: unknown } | null)?.id
  const other = typeof id === 'string' ? config.profiles.find((p) => p.profile.id === id && p.file !== file) : undefined
  if (other) diagnostics.push(diagnostic('error', 'CONFIG_DUPLICATE_ID', file, '/id', [id, publicFile(other.file)]))
  return { profile: check.profile, diagnostics }
}

export function hasError(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.level === 'error')
}

/** The text stored: the profile as written, its event names as the catalog spells them (unless named through `${env:…}`). */
export function storedText(raw: unknown, events: readonly string[] | undefined): string {
  const written = (raw as { events?: unknown }).events
  const keep = !events || !Array.isArray(written) || written.some((e) => typeof e !== 'string' || e.includes('${env:'))
  return JSON.stringify(keep ? raw : { ...(raw as Record<string, unknown>), events: [...events] }, null, 2) + '\n'
}

/** What the browser may see of where a profile is stored: a file's name (not the server's path), or the KV key's name. */
export function publicFile(file: string): string {
  return isKvProfileFile(file) ? file : basename(file)
}

/** Diagnostics for the browser: where the profile is stored by name only, not the server's paths. */
export function publicDiagnostic(d: Diagnostic): PublicDiagnostic {
  return { level: d.level, code: d.code, file: publicFile(d.file), pointer: d.pointer, message: d.message }
}

/** The 422 of a profile with errors, its diagnostics beside it. */
export function invalid(diagnostics: readonly Diagnostic[]): CallbackRouterError {
  return new CallbackRouterError('CONSOLE_PROFILE_INVALID', [], undefined, { diagnostics: diagnostics.map(publicDiagnostic) })
}
