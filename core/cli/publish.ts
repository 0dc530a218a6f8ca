// `publish <channel> <event>`: publishes an event envelope with its id as Nats-Msg-Id, for
// upstream systems and trials, through the publisher client (callback-router/client), so
// the command checks what upstream code checks. Data defaults to the event catalog's examples.
import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { sampleData } from '../plugin/sample-data'
import { createPublisherFor, type PublishResult } from '../client/publisher'
import { newEventId, type EventToPublish } from '../client/envelope'
import { CallbackRouterError } from '../errors'
import { EXIT_USAGE, fail, readDataOption } from './context'
import { withNats, withNatsOptions } from './nats-client'

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

export function register(program: Command): void {
  withNatsOptions(
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
      .option('--id <id>', 'event id (default: a random evt_… id)'),
    'print { id, subject, stream, seq, duplicate }',
  )
    .action(async (channel: string, eventArg: string | undefined, opts: PublishOptions, cmd: Command) => {
      const event = eventArg ?? opts.event
      await withNats(cmd, async ({ config, nc }) => {
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

        const publisher = createPublisherFor<Record<string, Record<string, unknown>>>(config.registry, { nc, subjectPrefix: config.settings.nats.subjectPrefix })
        let out: PublishResult
        try {
          out = await publisher.publish(channel, name, envelope as unknown as EventToPublish)
        } catch (e) {
          if (e instanceof CallbackRouterError) return fail(`${e.code}: ${e.message}`)
          return fail(`publish on ${config.settings.nats.subjectPrefix}.${channel}.${name} failed: ${(e as Error).message}`)
        }
        const subject = out.subject
        if (opts.json) process.stdout.write(JSON.stringify(out) + '\n')
        else process.stdout.write(`published ${out.id} on ${subject}: stream ${out.stream} seq ${out.seq}${out.duplicate ? ' (duplicate: already in the stream, dropped)' : ''}\n`)
      })
    })
}
