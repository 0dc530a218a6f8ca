// pino, JSON lines on stdout, with secrets redacted wherever they sit in a logged object.
// Two nets: `redact` paths blank the fields that hold credentials by name (authorization,
// auth, signing, …), and every line passes through the registry of `${env:…}` values
// before it is written, so a secret inside a message, an error or a URL shows as its
// reference (a line without one costs one regular-expression test).
import pino, { type Logger } from 'pino'
import { redact } from './redact'

export type { Logger }

export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'request.headers.authorization',
  '*.secret',
  '*.clientSecret',
  '*.password',
  '*.key',
  '*.token',
  'auth',
  '*.auth',
  'signing',
  '*.signing',
  'encryption.key',
  '*.encryption.key',
]

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { name: 'callback-router' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, hooks: { streamWrite: redact } }, destination)
}
