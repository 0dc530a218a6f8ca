// `dead-letters list / show / replay`: inspects and re-queues dead letters.
import type { Command } from 'commander'
import type { JetStreamClient, JetStreamManager } from 'nats'
import { CallbackRouterError } from '../errors'
import { listDeadLetters, replayDeadLetter, showDeadLetter, type ReplayResult } from '../jetstream/dead-letters'
import { EXIT_USAGE, fail } from './context'
import { NATS_OPTION, table, withNats } from './nats-client'

export function register(program: Command): void {
  const dl = program.command('dead-letters').description('inspect and re-queue dead letters (list, show, replay)')

  dl.command('list')
    .description('list dead letters: id, event id, profile, reason, detail, time, attempts')
    .option('--profile <id>', 'only this profile\'s')
    .option('--reason <code>', 'only this reason (e.g. retries_exhausted, no_profile)')
    .option('--json', 'print [{ id, eventId, profile, reason, detail, at, attempts }]')
    .option(...NATS_OPTION)
    .action(async (opts: { profile?: string; reason?: string; json?: boolean }, cmd: Command) => {
      const rows = await withNats(cmd, ({ js, jsm }) => listDeadLetters(js, jsm, opts))
      if (opts.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n')
        return
      }
      if (!rows.length) {
        process.stdout.write('no dead letters\n')
        return
      }
      process.stdout.write(
        table(
          ['ID', 'AT', 'REASON', 'EVENT', 'PROFILE', 'ATTEMPTS', 'DETAIL'],
          rows.map((r) => [r.id, r.at, r.reason, r.eventId ?? '-', r.profile ?? '-', String(r.attempts), r.detail]),
        ) + '\n',
      )
    })

  dl.command('show')
    .description('one dead letter with its original event and every attempt')
    .argument('<id>', 'the dead letter id (from list)')
    .option('--json', 'print { id, eventId, profile, reason, detail, at, channel, subject, cycle, event, attempts: [...] }')
    .option(...NATS_OPTION)
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const d = await withNats(cmd, ({ js, jsm }) => showDeadLetter(js, jsm, id))
      if (!d) return fail(`no dead letter with id ${id}`)
      if (opts.json) {
        process.stdout.write(JSON.stringify(d, null, 2) + '\n')
        return
      }
      const lines = [
        `id:       ${d.id}`,
        `at:       ${d.at}`,
        `reason:   ${d.reason}`,
        `detail:   ${d.detail}`,
        `event id: ${d.eventId ?? '-'}`,
        `profile:  ${d.profile ?? '-'}`,
        `subject:  ${d.subject}`,
        `cycle:    ${d.cycle}`,
        `event:    ${typeof d.event === 'string' ? `(not JSON, base64) ${d.event}` : JSON.stringify(d.event)}`,
      ]
      if (d.attempts.length) {
        lines.push('attempts:')
        lines.push(table(['CYCLE', 'ATTEMPT', 'AT', 'STATUS', 'LATENCY', 'ERROR'], d.attempts.map((a) => [String(a.cycle), String(a.attempt), a.at, a.status === null ? '-' : String(a.status), `${a.latencyMs} ms`, a.error ?? '-'])).replace(/^/gm, '  '))
      }
      process.stdout.write(lines.join('\n') + '\n')
    })

  dl.command('replay')
    .description('re-queue a dead letter (or all of them) as a new delivery cycle')
    .argument('[id]', 'the dead letter id (from list)')
    .option('--all', 'replay every dead letter (with --profile: that profile\'s)')
    .option('--profile <id>', 'with --all: only this profile\'s')
    .option('--reason <code>', 'with --all: only this reason')
    .option('--json', 'print [{ id, eventId, profile, cycle, via, duplicate }]')
    .option(...NATS_OPTION)
    .action(async (id: string | undefined, opts: { all?: boolean; profile?: string; reason?: string; json?: boolean }, cmd: Command) => {
      if (!id && !opts.all) fail('name a dead letter id, or --all', EXIT_USAGE)
      if (id && opts.all) fail('either an id or --all, not both', EXIT_USAGE)
      const results = await withNats(cmd, async ({ js, jsm }) => {
        if (id) {
          const r = await replayDeadLetter(js, jsm, id).catch((e: unknown) => (notReplayable(e) ? fail((e as Error).message) : Promise.reject(e)))
          if (!r) return fail(`no dead letter with id ${id}`)
          return [r]
        }
        return replayAll(js, jsm, opts)
      })
      if (opts.json) {
        process.stdout.write(JSON.stringify(results, null, 2) + '\n')
        return
      }
      for (const r of results) {
        process.stdout.write(`replayed ${r.id}: event ${r.eventId ?? '-'} ${r.via === 'job' ? `to ${r.profile}` : 'through routing'}, cycle ${r.cycle}${r.duplicate ? ' (already queued)' : ''}\n`)
      }
      if (!results.length) process.stdout.write('nothing to replay\n')
    })
}

function notReplayable(e: unknown): boolean {
  return e instanceof CallbackRouterError && e.code === 'DEAD_LETTER_NOT_REPLAYABLE'
}

/** Every matching dead letter; one that cannot be replayed (truncated, an unreadable job) is skipped with a note. */
async function replayAll(js: JetStreamClient, jsm: JetStreamManager, opts: { profile?: string; reason?: string }): Promise<ReplayResult[]> {
  const out: ReplayResult[] = []
  for (const row of await listDeadLetters(js, jsm, { profile: opts.profile, reason: opts.reason })) {
    try {
      const r = await replayDeadLetter(js, jsm, row.id)
      if (r) out.push(r)
    } catch (e) {
      if (!notReplayable(e)) throw e
      process.stderr.write(`skipped ${(e as Error).message}\n`)
    }
  }
  return out
}
