// `dead-letters list / show / replay`: inspects and re-queues dead letters.
import type { Command } from 'commander'
import type { JetStreamClient, JetStreamManager } from 'nats'
import { CallbackRouterError } from '../errors'
import { listDeadLetters, replayDeadLetter, showDeadLetter, type DeadLetterDetail, type ReplayResult } from '../jetstream/dead-letters'
import { EVENT_MAX_DEPTH } from '../jetstream/json-depth'
import { fail, failWith } from './context'
import { withNats, withNatsOptions } from './nats-client'
import { table } from './table'

export function register(program: Command): void {
  const dl = program.command('dead-letters').description('inspect and re-queue dead letters (list, show, replay)')
  registerList(dl)
  registerShow(dl)
  registerReplay(dl)
}

function print(text: string): void {
  process.stdout.write(text + '\n')
}

function registerList(dl: Command): void {
  withNatsOptions(
    dl.command('list')
      .description('list dead letters: id, event id, profile, reason, detail, time, attempts')
      .option('--profile <id>', 'only this profile\'s')
      .option('--reason <code>', 'only this reason (e.g. retries_exhausted, no_profile)'),
    'print [{ id, eventId, profile, reason, detail, at, attempts }]',
  )
    .action(async (opts: { profile?: string; reason?: string; json?: boolean }, cmd: Command) => {
      const rows = await withNats(cmd, ({ js, jsm }) => listDeadLetters(js, jsm, opts))
      if (opts.json) return print(JSON.stringify(rows, null, 2))
      if (!rows.length) return print('no dead letters')
      print(table(['ID', 'AT', 'REASON', 'EVENT', 'PROFILE', 'ATTEMPTS', 'DETAIL'], rows.map((r) => [r.id, r.at, r.reason, r.eventId ?? '-', r.profile ?? '-', String(r.attempts), r.detail])))
    })
}

/** `show` as text: the facts, the event, then the attempts as a table. */
export function renderDeadLetter(d: DeadLetterDetail): string {
  const lines = [
    `id:       ${d.id}`,
    `at:       ${d.at}`,
    `reason:   ${d.reason}`,
    `detail:   ${d.detail}`,
    `event id: ${d.eventId ?? '-'}`,
    `profile:  ${d.profile ?? '-'}`,
    `subject:  ${d.subject}`,
    `cycle:    ${d.cycle}`,
    `event:    ${typeof d.event === 'string' ? `(base64: not JSON, or nested deeper than ${EVENT_MAX_DEPTH} levels) ${d.event}` : JSON.stringify(d.event)}`,
  ]
  if (d.attempts.length) {
    const rows = d.attempts.map((a) => [String(a.cycle), String(a.attempt), a.at, a.status === null ? '-' : String(a.status), `${a.latencyMs} ms`, a.error ?? '-'])
    lines.push('attempts:', table(['CYCLE', 'ATTEMPT', 'AT', 'STATUS', 'LATENCY', 'ERROR'], rows).replace(/^/gm, '  '))
  }
  return lines.join('\n')
}

function registerShow(dl: Command): void {
  withNatsOptions(
    dl.command('show')
      .description('one dead letter with its original event and every attempt')
      .argument('<id>', 'the dead letter id (from list)'),
    'print { id, eventId, profile, reason, detail, at, channel, subject, cycle, event, attempts: [...] }',
  )
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const d = await withNats(cmd, ({ js, jsm }) => showDeadLetter(js, jsm, id))
      if (!d) return failWith('CLI_NOT_FOUND', `no dead letter with id ${id}`)
      print(opts.json ? JSON.stringify(d, null, 2) : renderDeadLetter(d))
    })
}

function registerReplay(dl: Command): void {
  withNatsOptions(
    dl.command('replay')
      .description('re-queue a dead letter (or all of them) as a new delivery cycle')
      .argument('[id]', 'the dead letter id (from list)')
      .option('--all', 'replay every dead letter (with --profile: that profile\'s)')
      .option('--profile <id>', 'with --all: only this profile\'s')
      .option('--reason <code>', 'with --all: only this reason'),
    'print [{ id, eventId, profile, cycle, via, duplicate }]',
  )
    .action(async (id: string | undefined, opts: { all?: boolean; profile?: string; reason?: string; json?: boolean }, cmd: Command) => {
      if (!id && !opts.all) failWith('CLI_USAGE', 'name a dead letter id, or --all')
      if (id && opts.all) failWith('CLI_USAGE', 'either an id or --all, not both')
      const results = await withNats(cmd, async ({ js, jsm }) => {
        if (id) {
          const r = await replayDeadLetter(js, jsm, id).catch((e: unknown) => (notReplayable(e) ? fail((e as Error).message) : Promise.reject(e)))
          return r ? [r] : failWith('CLI_NOT_FOUND', `no dead letter with id ${id}`)
        }
        return replayAll(js, jsm, opts)
      })
      if (opts.json) return print(JSON.stringify(results, null, 2))
      for (const r of results) print(`replayed ${r.id}: event ${r.eventId ?? '-'} ${r.via === 'job' ? `to ${r.profile}` : 'through routing'}, cycle ${r.cycle}${r.duplicate ? ' (already queued)' : ''}`)
      if (!results.length) print('nothing to replay')
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
