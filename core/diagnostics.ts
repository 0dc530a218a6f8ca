// Problems found in configuration, reported as `<file>:<json pointer>: <message>`.
import { relative } from 'node:path'
import { formatMessage, type ConfigCode } from './errors'
import { redact } from './redact'

export interface Diagnostic {
  /** A note says what was filled in or read differently; it never fails a check. */
  level: 'error' | 'warning' | 'note'
  code: ConfigCode
  /** Absolute path of the file. */
  file: string
  /** JSON pointer inside the file ('' = the whole document). */
  pointer: string
  message: string
}

/** A diagnostic; its message never holds an `${env:…}` value (it may quote what was written). */
export function diagnostic(level: Diagnostic['level'], code: ConfigCode, file: string, pointer: string, args: unknown[] = []): Diagnostic {
  return { level, code, file, pointer, message: redact(formatMessage(code, ...args)) }
}

/** `file:/pointer: message`, or `file:/pointer: warning: message` (or `note:`); paths relative to `cwd`. */
export function formatDiagnostic(d: Diagnostic, cwd = process.cwd()): string {
  const rel = relative(cwd, d.file) || d.file
  const where = `${rel.startsWith('..') ? d.file : rel}:${d.pointer || '/'}`
  return d.level === 'error' ? `${where}: ${d.message}` : `${where}: ${d.level}: ${d.message}`
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.level === 'error')
}
