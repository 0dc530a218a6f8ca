// Which variable names an event offers, and the "did you mean" that names the closest.
import type { VariableSpec, VariableType } from './contract'

/** Envelope and routing variables, present for every event. */
export const ENVELOPE_VARIABLES: VariableSpec[] = [
  { name: '_event.id', type: 'string', description: 'The event id (idempotency key).', example: 'evt_01J9Z0000000000000000000' },
  { name: '_event.account', type: 'string', description: 'The account that owns the event.', example: 'acme' },
  { name: '_event.channel', type: 'string', description: 'The channel the event was published on.', example: 'sms' },
  { name: '_event.name', type: 'string', description: 'The event name.', example: 'sms-send' },
  { name: '_event.occurredAt', type: 'string', description: 'When the event happened (ISO-8601), if the publisher said.', example: '2026-11-24T10:00:00Z' },
  { name: '_event.profile', type: 'string', description: 'The id of the profile being delivered to.', example: 'acme-sms-dlr' },
]

/** Normalises array indexes so `parts[3]` and `items[0].id` match catalog names `parts[n]`, `items[n].id`. */
function normalise(name: string): string {
  return name.replace(/\[\d+\]/g, '[n]')
}

export class VariableIndex {
  private readonly types = new Map<string, VariableType>()
  constructor(readonly variables: readonly VariableSpec[]) {
    for (const v of [...variables, ...ENVELOPE_VARIABLES]) this.types.set(v.name, v.type)
  }

  get names(): string[] {
    return [...this.types.keys()]
  }

  /**
   * A name is known when it is a catalog name (indexes normalised), a parent of
   * one (`error` when `error.code` exists), or reaches inside an object or array
   * variable (`contacts[0].name` when `contacts` is an array).
   */
  has(name: string): boolean {
    const n = normalise(name)
    if (this.types.has(n) || this.types.has(name)) return true
    for (const [known, type] of this.types) {
      if (known.startsWith(n + '.') || known.startsWith(n + '[')) return true
      if ((type === 'object' || type === 'array') && (n.startsWith(known + '.') || n.startsWith(known + '['))) return true
    }
    return false
  }

  /** ` (did you mean <status>?)`, or '' when nothing is close. */
  suggestion(name: string): string {
    const best = closest(name, this.names)
    return best === undefined ? '' : ` (did you mean <${best}>?)`
  }
}

/** The closest candidate by edit distance, if it is close enough to be a likely typo. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const c of candidates) {
    const d = levenshtein(name.toLowerCase(), c.toLowerCase())
    if (d < bestDistance) { best = c; bestDistance = d }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 2)) ? best : undefined
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]
}
