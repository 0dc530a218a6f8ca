// Checks one profile: `${env:…}` expansion, the schema, then the rule book
// (profile-rules.ts). Shared by the loader, `validate`, the console and the daemon's
// reload, so all speak the same codes.
import type { Profile } from '../generated/profile'
import type { PluginRegistry } from '../plugin/registry'
import type { RetryPolicy } from '../plugin/contract'
import { validateProfile, describeAjvError, ajvErrorPointer } from './schema'
import { expandEnv, coveredByMissing, schemaErrorsOfMissing, type MissingEnv } from './env'
import { diagnostic, type Diagnostic } from '../diagnostics'
import type { ConfigCode } from '../errors'
import { profileRules, withDefaults, type CheckedProfile } from './profile-rules'

export { withDefaults, type CheckedProfile } from './profile-rules'

export interface ProfileCheck {
  /** The profile with `${env:…}` expanded and defaults filled, when it has no errors. */
  profile?: CheckedProfile
  diagnostics: Diagnostic[]
  /** What was filled in or read differently from the file (`validate --verbose`). */
  notes: Diagnostic[]
}

export interface CheckOptions {
  env?: NodeJS.ProcessEnv
  /**
   * The console API: refuses what its form refuses (a retry count above 0 without
   * intervalSeconds and timeoutMs) instead of filling the channel's standard.
   */
  strict?: boolean
  /** delivery.defaultTimeoutMs of the settings, for the notes. */
  defaultTimeoutMs?: number
}

export function checkProfile(raw: unknown, file: string, registry: PluginRegistry, options: CheckOptions = {}): ProfileCheck {
  const out: Diagnostic[] = []
  const notes: Diagnostic[] = []
  const report = (level: 'error' | 'warning', code: ConfigCode, pointer: string, ...args: unknown[]) => out.push(diagnostic(level, code, file, pointer, args))
  const note = (pointer: string, ...args: unknown[]) => notes.push(diagnostic('note', 'CONFIG_FILLED_IN', file, pointer, args))

  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    report('error', 'CONFIG_NOT_AN_OBJECT', '')
    return { diagnostics: out, notes }
  }
  const missing: MissingEnv[] = []
  const expanded = expandEnv(raw, options.env ?? process.env, missing)
  for (const m of missing) report('error', 'CONFIG_ENV_MISSING', m.pointer, m.name)

  if (!validateProfile(expanded)) {
    let structural = false
    const errors = validateProfile.errors ?? []
    const ofMissing = schemaErrorsOfMissing(errors, missing)
    for (const e of errors) {
      // oneOf over auth/secret repeats each branch's errors; the branch errors say more.
      // A missing variable was reported once above: its empty text is no second problem.
      if (e.keyword === 'oneOf' || ofMissing.has(e)) continue
      if (e.instancePath === '/title') report('error', 'CONFIG_TITLE_INVALID', '/title')
      else {
        structural = true
        report('error', 'CONFIG_SCHEMA', ajvErrorPointer(e), describeAjvError(e))
      }
    }
    // A bad title leaves the shape intact: the other checks still run and report.
    if (structural) return { diagnostics: dedupe(out, missing), notes }
  }
  const written = expanded as Profile
  const p = withDefaults(written)
  if (written.channel === undefined) note('/channel', 'channel', '"default"', 'the default channel')
  p.events = canonicalEvents(p, registry, note) as Profile['events']
  profileRules(p, registry, report)
  const plugin = registry.get(p.channel)
  if (plugin) retryFill(p, plugin.retry, options, report, note)

  const diagnostics = dedupe(out, missing)
  return { profile: diagnostics.some((d) => d.level === 'error') ? undefined : p, diagnostics, notes }
}

/**
 * Event names as the catalog spells them: the reference page writes `Voice`, the
 * catalog `voice`. Names the catalog does not know stay as written, for the rule to report.
 */
function canonicalEvents(p: CheckedProfile, registry: PluginRegistry, note: (pointer: string, ...args: unknown[]) => void): string[] | undefined {
  if (!p.events) return undefined
  const out: string[] = []
  p.events.forEach((e, i) => {
    const canonical = registry.canonicalEvent(p.channel, e) ?? e
    if (canonical !== e) note(`/events/${i}`, `events/${i}`, JSON.stringify(canonical), "the catalog's spelling; names are matched ignoring case")
    if (!out.includes(canonical)) out.push(canonical)
  })
  return out
}

/**
 * A retry count above 0 without intervalSeconds or timeoutMs: files get the channel's
 * standard and the settings' timeout (said in a note); the console's API refuses, as its form does.
 */
function retryFill(p: CheckedProfile, policy: RetryPolicy, options: CheckOptions, report: (level: 'error', code: ConfigCode, pointer: string, ...args: unknown[]) => void, note: (pointer: string, ...args: unknown[]) => void): void {
  const timeoutMs = options.defaultTimeoutMs ?? 5000
  if (p.retry === undefined) {
    note('/retry', 'retry', `${policy.maxRetries} retries, ${policy.intervalSeconds} s ${policy.backoff}, timeoutMs ${timeoutMs}`, `the ${p.channel} channel's standard`)
    return
  }
  const count = p.retry.count ?? policy.maxRetries
  if (p.retry.count === undefined) note('/retry/count', 'retry.count', count, `the ${p.channel} channel's cap`)
  const fill = (field: 'intervalSeconds' | 'timeoutMs', value: number, why: string) => {
    if (p.retry![field] !== undefined) return
    // Above the cap the count itself is refused: one cause, one message.
    if (options.strict && p.retry!.count !== undefined && p.retry!.count > 0 && p.retry!.count <= policy.maxRetries) report('error', 'CONFIG_RETRY_FIELD_REQUIRED', `/retry/${field}`, field)
    else if (count > 0) note(`/retry/${field}`, `retry.${field}`, value, why)
  }
  fill('intervalSeconds', policy.intervalSeconds, `the ${p.channel} channel's interval`)
  fill('timeoutMs', timeoutMs, 'delivery.defaultTimeoutMs of the settings')
}

/** Each diagnostic once, and none but CONFIG_ENV_MISSING where a missing variable left empty text. */
function dedupe(ds: Diagnostic[], missing: readonly MissingEnv[]): Diagnostic[] {
  const seen = new Set<string>()
  return ds.filter((d) => {
    if (d.code !== 'CONFIG_ENV_MISSING' && coveredByMissing(d.pointer, missing)) return false
    const k = `${d.level}|${d.code}|${d.pointer}|${d.message}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
