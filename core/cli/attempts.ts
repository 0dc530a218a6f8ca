// `attempts <event-id>`: every delivery attempt of an event, from the attempt log.
import type { Command } from 'commander'
import { readAttempts } from '../jetstream/attempt-log'
import { failWith } from './context'
import { withNats, withNatsOptions } from './nats-client'
import { table } from './table'

export function register(program: Command): void {
  withNatsOptions(
    program
      .command('attempts')
      .description('every delivery attempt of an event: profile, cycle, attempt, time, status, latency, error')
      .argument('<event-id>', 'the event id'),
    'print [{ eventId, profile, cycle, attempt, at, status, error, latencyMs }]',
  )
    .action(showAttempts)
}

async function showAttempts(eventId: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(eventId)) failWith('CLI_USAGE', `"${eventId}" is not an event id ([A-Za-z0-9_-]{1,128})`)
  const rows = await withNats(cmd, ({ js, jsm }) => readAttempts(js, jsm, eventId))
  if (opts.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n')
    return
  }
  if (!rows.length) {
    process.stdout.write(`no attempts recorded for ${eventId}\n`)
    return
  }
  process.stdout.write(
    table(
      ['PROFILE', 'CYCLE', 'ATTEMPT', 'AT', 'STATUS', 'LATENCY', 'ERROR'],
      rows.map((a) => [a.profile, String(a.cycle), String(a.attempt), a.at, a.status === null ? '-' : String(a.status), `${a.latencyMs} ms`, a.error ?? '-']),
    ) + '\n',
  )
}
