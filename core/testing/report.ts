// The conformance report: one row per check and member, so a failure names what to fix.

/** What a row checks, in the order the kit runs them. */
export type CheckName = 'contract' | 'schema' | 'examples' | 'reachable' | 'toVariables' | 'render' | 'encryption'

export interface ConformanceCheck {
  check: CheckName
  /** The plugin member concerned: `events.rcs-status.variables[2] (error.code)`, `toVariables`, … */
  member: string
  ok: boolean
  /** What was checked (passing) or what is wrong (failing). */
  detail: string
}

export interface ConformanceReport {
  /** The plugin's name, or `(unnamed)` when the export has none. */
  plugin: string
  ok: boolean
  checks: ConformanceCheck[]
  failures: ConformanceCheck[]
}

/** Collects rows; `run` turns an exception thrown by plugin code into a failing row. */
export class Rows {
  readonly list: ConformanceCheck[] = []

  pass(check: CheckName, member: string, detail: string): void {
    this.list.push({ check, member, ok: true, detail })
  }

  fail(check: CheckName, member: string, detail: string): void {
    this.list.push({ check, member, ok: false, detail })
  }

  /** Runs `fn`; a throw becomes a failure of `check` at `member`. Returns whether it ran through. */
  run(check: CheckName, member: string, fn: () => void, label?: string): boolean {
    try {
      fn()
      return true
    } catch (err) {
      this.fail(check, member, `${label ? `${label}: ` : ''}threw: ${err instanceof Error ? err.message : String(err)}`)
      return false
    }
  }

  report(plugin: string): ConformanceReport {
    const failures = this.list.filter((c) => !c.ok)
    return { plugin, ok: failures.length === 0, checks: this.list, failures }
  }
}
