// Secrets never leave the daemon (DESIGN "Secrets and hostile input"). Every value that an
// `${env:NAME}` reference expands to is recorded here with its reference, and text about to
// leave (a diagnostic, an error, a log line, an attempt's error, the console's Test answer)
// passes through `redact`, which writes each such value back as `${env:NAME}`.
//
// One registry per process rather than one per profile: a value is a secret wherever it
// shows up (an undici error naming a host, a receiver echoing a header, another profile
// holding the same text), and the edges that show text need not know which profile it
// came from. Values accumulate over reloads; they are bounded by the distinct
// `${env:…}` values the process ever read.
//
// Values shorter than MIN_SECRET_LENGTH are not redacted: replacing every "1" or "on" in
// a log line would garble it and still hide nothing (three characters are guessed in a
// second). The rules that guard real secrets (signing secrets of 24 bytes and more, console
// tokens of 24 characters) keep real secrets far above it.

export const MIN_SECRET_LENGTH = 4

export class SecretRegistry {
  /** Each spelling of a value (as is, URL-encoded, JSON-escaped) → its reference. */
  private readonly byText = new Map<string, string>()
  /** The same, lower-cased: a match in other case finds its reference here. */
  private readonly byLower = new Map<string, string>()
  private pattern: RegExp | undefined
  private dirty = false

  /** Records that `${env:name}` expanded to `value`. */
  record(name: string, value: string): void {
    if (value.length < MIN_SECRET_LENGTH) return
    const reference = `\${env:${name}}`
    for (const text of spellings(value)) {
      if (this.byText.get(text) === reference) continue
      this.byText.set(text, reference)
      this.byLower.set(text.toLowerCase(), reference)
      this.dirty = true
    }
  }

  /** True when nothing was recorded (the hot path's early exit). */
  get empty(): boolean {
    return this.byText.size === 0
  }

  /** `text` with every recorded value replaced by its `${env:NAME}` reference. */
  redact(text: string): string {
    if (this.byText.size === 0 || text.length < MIN_SECRET_LENGTH) return text
    const re = this.compiled()
    re.lastIndex = 0
    if (!re.test(text)) return text
    re.lastIndex = 0
    return text.replace(re, (m) => this.byText.get(m) ?? this.byLower.get(m.toLowerCase()) ?? '***')
  }

  /** A copy of a JSON-like value with every string redacted (keys too). */
  redactDeep<T>(value: T): T {
    if (this.byText.size === 0) return value
    return walk(value, (s) => this.redact(s)) as T
  }

  /**
   * One alternation, longest spelling first, so that a value holding another is replaced
   * whole. Case-insensitive: URL parsing lower-cases a host, and a secret spelled in
   * other case is still the secret (over-redacting costs nothing).
   */
  private compiled(): RegExp {
    if (this.pattern === undefined || this.dirty) {
      const alternatives = [...this.byText.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp)
      this.pattern = new RegExp(alternatives.join('|'), 'gi')
      this.dirty = false
    }
    return this.pattern
  }
}

/** How a value can appear in text that leaves: as is, in a URL, inside a JSON string. */
function spellings(value: string): string[] {
  const out = new Set([value, encodeURIComponent(value), encodeURI(value), JSON.stringify(value).slice(1, -1)])
  return [...out].filter((s) => s.length >= MIN_SECRET_LENGTH)
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function walk(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value)
  if (Array.isArray(value)) return value.map((v) => walk(v, fn))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[fn(k)] = walk(v, fn)
    return out
  }
  return value
}

/** The process's registry: `expandEnv` records into it, the edges redact with it. */
export const secrets = new SecretRegistry()

/** `text` with every `${env:…}` value this process has read written back as its reference. */
export function redact(text: string): string {
  return secrets.redact(text)
}
