// Loads the daemon settings and every profile, collecting every problem with
// its file and JSON pointer instead of stopping at the first.
import { readFile, readdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { RouterConfig } from '../generated/router-config'
import { validateRouterConfig, describeAjvError, ajvErrorPointer } from './schema'
import { expandEnv, schemaErrorsOfMissing, type MissingEnv } from './env'
import { diagnostic, type Diagnostic } from '../diagnostics'
import { PluginRegistry, loadExternalPlugins } from '../plugin/registry'
import { checkProfile, type CheckedProfile } from './profile-check'
import { builtins } from '../../plugins'

export const DEFAULT_CONFIG_FILE = 'config/callback-router.json'

/** Every key that has a schema default, made required (arrays lose their tuple shape). */
type Filled<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends readonly (infer U)[] ? U[] : NonNullable<T[K]> extends object ? Filled<NonNullable<T[K]>> : NonNullable<T[K]>
}
type NatsSettings = NonNullable<RouterConfig['nats']>

/** Settings with every default filled in (see schemas/router-config.schema.json). */
export type Settings = Omit<Filled<Omit<RouterConfig, '$schema'>>, 'nats'> & {
  nats: Omit<Filled<NatsSettings>, 'auth' | 'tls'> & Pick<NatsSettings, 'auth' | 'tls'>
}

export interface LoadedProfile {
  /** `${env:…}` expanded, defaults filled. */
  profile: CheckedProfile
  /** As written in the file (console writes this back, `${env:…}` kept). */
  raw: unknown
  /** Absolute path of the file it came from. */
  file: string
}

export interface LoadedConfig {
  settingsFile: string
  baseDir: string
  settings: Settings
  /** Absolute. */
  profilesDir: string
  registry: PluginRegistry
  /** Profiles without errors; a profile with an error is left out (and reported). */
  profiles: LoadedProfile[]
  diagnostics: Diagnostic[]
  /** What the checks filled in (channel, retry) or read differently (event spelling): `validate --verbose`. */
  notes: Diagnostic[]
}

export interface ProfileLoadOptions {
  /** The profiles in use: an id that comes back on another channel is refused (the channel lock). */
  previous?: readonly LoadedProfile[]
  /** delivery.defaultTimeoutMs, for the notes. */
  defaultTimeoutMs?: number
}

export interface LoadOptions {
  /** Settings file; default CALLBACK_ROUTER_CONFIG, then config/callback-router.json. */
  configFile?: string
  env?: NodeJS.ProcessEnv
  /** Skip the profiles (commands that only need settings). */
  settingsOnly?: boolean
}

export function resolveConfigFile(configFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(configFile ?? env.CALLBACK_ROUTER_CONFIG ?? DEFAULT_CONFIG_FILE)
}

export async function loadSettings(settingsFile: string, env: NodeJS.ProcessEnv = process.env): Promise<{ settings?: Settings; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = []
  const raw = await readJson(settingsFile, diagnostics)
  if (raw === undefined) return { diagnostics }
  const missing: MissingEnv[] = []
  const expanded = expandEnv(raw, env, missing) as Record<string, unknown>
  for (const m of missing) diagnostics.push(diagnostic('error', 'CONFIG_ENV_MISSING', settingsFile, m.pointer, [m.name]))
  if (!validateRouterConfig(expanded)) {
    const errors = validateRouterConfig.errors ?? []
    // A missing variable is one error at its pointer, not also the schema's view of ''.
    const ofMissing = schemaErrorsOfMissing(errors, missing)
    for (const e of errors) {
      if (ofMissing.has(e)) continue
      diagnostics.push(diagnostic('error', 'CONFIG_SCHEMA', settingsFile, ajvErrorPointer(e), [describeAjvError(e)]))
    }
    return { diagnostics }
  }
  const settings = expanded as unknown as Settings
  if (env.NATS_URL) settings.nats.servers = env.NATS_URL.split(',').map((s) => s.trim()).filter(Boolean)
  return { settings, diagnostics }
}

export async function loadConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env
  const settingsFile = resolveConfigFile(options.configFile, env)
  const baseDir = dirname(settingsFile)
  const { settings, diagnostics } = await loadSettings(settingsFile, env)
  const registry = new PluginRegistry(builtins)
  const result: LoadedConfig = {
    settingsFile,
    baseDir,
    settings: settings ?? (fallbackSettings() as Settings),
    profilesDir: resolve(baseDir, settings?.profilesDir ?? './profiles'),
    registry,
    profiles: [],
    diagnostics,
    notes: [],
  }
  if (!settings) return result

  const pluginErrors = await loadExternalPlugins(registry, settings.plugins, baseDir)
  settings.plugins.forEach((spec, i) => {
    for (const e of pluginErrors.filter((pe) => pe.spec === spec)) {
      diagnostics.push(diagnostic('error', e.code, settingsFile, `/plugins/${i}`, [spec, e.detail]))
    }
  })
  // With the KV store the profiles come from NATS: the caller reads them (kv-profiles.ts).
  if (options.settingsOnly || settings.profileStore === 'kv') return result

  const loaded = await loadProfiles(result.profilesDir, registry, env, settingsFile, { defaultTimeoutMs: settings.delivery.defaultTimeoutMs })
  result.profiles = loaded.profiles
  result.notes = loaded.notes
  diagnostics.push(...loaded.diagnostics)
  return result
}

/**
 * Reads every `*.json` in `dir` (sorted), checks each profile, and refuses duplicate ids
 * and (given the profiles in use) a profile moved to another channel.
 */
export async function loadProfiles(
  dir: string,
  registry: PluginRegistry,
  env: NodeJS.ProcessEnv = process.env,
  settingsFile = dir,
  options: ProfileLoadOptions = {},
): Promise<{ profiles: LoadedProfile[]; diagnostics: Diagnostic[]; notes: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = []
  const notes: Diagnostic[] = []
  const profiles: LoadedProfile[] = []
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()
  } catch (e) {
    diagnostics.push(diagnostic('error', 'CONFIG_PROFILES_DIR', settingsFile, '/profilesDir', [dir, (e as Error).message]))
    return { profiles, diagnostics, notes }
  }
  const seen = new Map<string, string>()
  for (const name of names) {
    const file = join(dir, name)
    const raw = await readJson(file, diagnostics)
    if (raw === undefined) continue
    const check = checkProfile(raw, file, registry, { env, defaultTimeoutMs: options.defaultTimeoutMs })
    diagnostics.push(...check.diagnostics)
    notes.push(...check.notes)
    const id = (raw as { id?: unknown } | null)?.id
    if (typeof id === 'string') {
      const other = seen.get(id)
      if (other) {
        diagnostics.push(diagnostic('error', 'CONFIG_DUPLICATE_ID', file, '/id', [id, other]))
        continue
      }
      seen.set(id, file)
    }
    if (!check.profile) continue
    const locked = channelLock(check.profile, options.previous, file)
    if (locked) diagnostics.push(locked)
    else profiles.push({ profile: check.profile, raw, file })
  }
  return { profiles, diagnostics, notes }
}

/**
 * A profile is locked to its channel: its id is in receivers' webhook-ids and its
 * events, variables and body were chosen for that channel. Moving it is refused.
 */
export function channelLock(profile: CheckedProfile, previous: readonly LoadedProfile[] | undefined, file: string): Diagnostic | undefined {
  const before = previous?.find((p) => p.profile.id === profile.id)
  if (!before || before.profile.channel === profile.channel) return undefined
  return diagnostic('error', 'CONFIG_CHANNEL_LOCKED', file, '/channel', [profile.id, before.profile.channel, profile.channel])
}

async function readJson(file: string, diagnostics: Diagnostic[]): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    diagnostics.push(diagnostic('error', 'CONFIG_FILE_UNREADABLE', file, '', [(e as Error).message]))
    return undefined
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    diagnostics.push(diagnostic('error', 'CONFIG_INVALID_JSON', file, '', [(e as Error).message]))
    return undefined
  }
}

/** Defaults only, so that commands can still report when the settings file is broken. */
function fallbackSettings(): RouterConfig {
  const s: Record<string, unknown> = {}
  validateRouterConfig(s)
  return s as RouterConfig
}
