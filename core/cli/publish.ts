// `publish <channel> <event>`: publishes an event envelope with its id as Nats-Msg-Id, for
// upstream systems and trials. Data defaults to the event catalog's examples.
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { PubAck } from 'nats'
import { sampleData } from '../plugin/sample-data'
import { EXIT_USAGE, fail, readDataOption } from './context'
import { NATS_OPTION, withNats } from './nats-client'

export interface PublishOptions {
  data?: string
  eventFile?: string
  event?: string
  account?: string
  profile?: string
  id?: string
  json?: boolean
  nats?: string
}

export function newEventId(): string {
  return `evt_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`
}

export function register(program: Command): void {
  program
    .command('publish')
    .description('publish an event on <prefix>.<channel>.<event> with its id as Nats-Msg-Id')
    .argument('<channel>', 'channel (plugin name)')
    .argument('[event]', 'event name (or --event)')
    .option('--data <json>', 'the event data as JSON, or @file.json (default: the catalog examples)')
    .option('--event-file <file>', 'a whole envelope { id, account, profile?, occurredAt?, data }')
    .option('--event <name>', 'the event, where the channel has several')
    .option('--account <account>', 'the account (default: "demo", or the envelope\'s)')
    .option('--profile <id>', 'send to this profile only')
    .option('--id <id>', 'event id (default: a random evt_… id)')
    .option('--json', 'print { id, subject, stream, seq, duplicate }')
    .option(...NATS_OPTION)
    .action(async (channel: string, eventArg: string | undefined, opts: PublishOptions, cmd: Command) => {
      const event = eventArg ?? opts.event
      await withNats(cmd, async ({ config, js }) => {
        const plugin = config.registry.get(channel)
        if (!plugin) fail(`unknown channel "${channel}" (known: ${config.registry.names.join(', ')})`, EXIT_USAGE)
        const events = config.registry.eventsOf(channel)
        const name = event ?? (events.length === 1 ? events[0] : undefined)
        if (!name) fail(`channel "${channel}" has several events: name one (${events.join(', ')})`, EXIT_USAGE)
        const spec = config.registry.eventSpec(channel, name)
        if (!spec) fail(`channel "${channel}" has no event "${name}" (events: ${events.join(', ')})`, EXIT_USAGE)

        let envelope: Record<string, unknown> = {}
        if (opts.eventFile) {
          const text = await readFile(opts.eventFile, 'utf8').catch((e: Error) => fail(`cannot read ${opts.eventFile}: ${e.message}`, EXIT_USAGE))
          try {
            envelope = JSON.parse(text) as Record<string, unknown>
          } catch (e) {
            fail(`${opts.eventFile} is not valid JSON: ${(e as Error).message}`, EXIT_USAGE)
          }
        }
        if (opts.id) envelope.id = opts.id
        if (opts.account) envelope.account = opts.account
        if (opts.profile) envelope.profile = opts.profile
        if (opts.data !== undefined) envelope.data = await readDataOption(opts.data)
        envelope.id ??= newEventId()
        envelope.account ??= 'demo'
        envelope.data ??= sampleData(spec)
        envelope.occurredAt ??= new Date().toISOString()

        const subject = `${config.settings.nats.subjectPrefix}.${channel}.${name}`
        let ack: PubAck
        try {
          ack = await js.publish(subject, Buffer.from(JSON.stringify(envelope)), { msgID: String(envelope.id) })
        } catch (e) {
          return fail(`publish on ${subject} failed: ${(e as Error).message}`)
        }
        const out = { id: String(envelope.id), subject, stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate }
        if (opts.json) process.stdout.write(JSON.stringify(out) + '\n')
        else process.stdout.write(`published ${out.id} on ${subject}: stream ${out.stream} seq ${out.seq}${out.duplicate ? ' (duplicate: already in the stream, dropped)' : ''}\n`)
      })
    })
}
