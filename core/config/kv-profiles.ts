// Profiles held in the KV store (DESIGN "Several daemons"): each value is checked like a file
// by `validate`, under a file name of its own (`kv:CALLBACK_PROFILES/<id>`) so that every
// message keeps the `file:/pointer: message` form. A value that fails is refused for that
// profile alone: the set keeps the profile's last good version (or goes on without it).
import { checkProfile } from './profile-check'
import { diagnostic, type Diagnostic } from '../diagnostics'
import type { LoadedProfile } from './settings'
import type { PluginRegistry } from '../plugin/registry'

export const PROFILE_BUCKET = 'CALLBACK_PROFILES'

/** The name a KV value goes by in diagnostics and in LoadedProfile.file. */
export function kvProfileFile(id: string): string {
  return `kv:${PROFILE_BUCKET}/${id}`
}

export function isKvProfileFile(file: string): boolean {
  return file.startsWith(`kv:${PROFILE_BUCKET}/`)
}

/** The key must be the profile id: a value naming another id is refused. */
export function keyMismatch(id: string, raw: unknown): Diagnostic | undefined {
  const written = (raw as { id?: unknown } | null)?.id
  return written === id ? undefined : diagnostic('error', 'CONFIG_KV_KEY_MISMATCH', kvProfileFile(id), '/id', [id, String(written)])
}

/** Checks one value of the bucket; `profile` only when it has no errors. */
export function checkKvValue(id: string, text: string, registry: PluginRegistry, env: NodeJS.ProcessEnv): { loaded?: LoadedProfile; diagnostics: Diagnostic[] } {
  const file = kvProfileFile(id)
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    return { diagnostics: [diagnostic('error', 'CONFIG_INVALID_JSON', file, '', [(e as Error).message])] }
  }
  const check = checkProfile(raw, file, registry, { env })
  const diagnostics = [...check.diagnostics]
  const mismatch = check.profile ? keyMismatch(id, raw) : undefined
  if (mismatch) diagnostics.push(mismatch)
  if (!check.profile || diagnostics.some((d) => d.level === 'error')) return { diagnostics }
  return { loaded: { profile: check.profile, raw, file }, diagnostics }
}

export interface KvChange {
  id: string
  revision: number
  operation: 'put' | 'delete'
  text?: string
}

export interface KvApplied {
  /** false: the value was refused; the profile keeps its last good version. */
  accepted: boolean
  diagnostics: Diagnostic[]
}

/**
 * The profiles of the bucket as one daemon holds them: the last good version of each.
 * `extraCheck` lets the daemon refuse what passes the checks but does not compile.
 */
export class KvProfileSet {
  private readonly byId = new Map<string, LoadedProfile>()
  private lastRevision = 0

  constructor(
    private readonly registry: PluginRegistry,
    private readonly env: NodeJS.ProcessEnv,
    private readonly extraCheck: (loaded: LoadedProfile) => Diagnostic[] = () => [],
  ) {}

  get revision(): number {
    return this.lastRevision
  }

  apply(change: KvChange): KvApplied {
    this.lastRevision = Math.max(this.lastRevision, change.revision)
    if (change.operation === 'delete') {
      this.byId.delete(change.id)
      return { accepted: true, diagnostics: [] }
    }
    const checked = checkKvValue(change.id, change.text ?? '', this.registry, this.env)
    const diagnostics = checked.loaded ? [...checked.diagnostics, ...this.extraCheck(checked.loaded)] : checked.diagnostics
    if (!checked.loaded || diagnostics.some((d) => d.level === 'error')) return { accepted: false, diagnostics }
    this.byId.set(change.id, checked.loaded)
    return { accepted: true, diagnostics }
  }

  /**
   * A new watch's whole state is coming (the last one ended): profiles whose key is gone are
   * dropped, and the revision becomes the snapshot's, even a lower one (a recreated bucket
   * counts from 1 again). The values are then applied one by one, as usual.
   */
  reseed(ids: ReadonlySet<string>, revision: number): void {
    for (const id of [...this.byId.keys()]) if (!ids.has(id)) this.byId.delete(id)
    this.lastRevision = revision
  }

  /** Marks a revision as seen without a change (the bucket's last sequence at start). */
  seen(revision: number): void {
    this.lastRevision = Math.max(this.lastRevision, revision)
  }

  profiles(): LoadedProfile[] {
    return [...this.byId.values()].sort((a, b) => a.profile.id.localeCompare(b.profile.id))
  }
}
