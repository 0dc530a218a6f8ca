// pino, JSON lines on stdout, with secrets redacted wherever they sit in a logged object.
import pino, { type Logger } from 'pino'

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
  return pino({ level, base: { name: 'callback-router' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination)
}
