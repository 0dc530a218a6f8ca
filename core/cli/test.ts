// `callback-router test <profile>`: the reference page's Test button. One real request,
// built from the catalog's examples (or --data / --event-file), sent through the
// deliverer: the code path of the daemon (rate limit, render, auth, network policy,
// timeout). Prints the request with its secrets masked, the response and a verdict.
import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { createDeliverer, type DeliveryAttempt } from '../delivery/deliver'
import { createDispatcher } from '../delivery/dispatcher'
import type { CallbackEvent } from '../generated/event'
// A checked profile: its channel and other defaults are filled in.
import type { CheckedProfile as Profile } from '../config/profile-rules'
import type { EventSpec } from '../plugin/contract'
import type { PluginRegistry } from '../plugin/registry'
import { compileProfile } from '../render/compile'
import { sampleData } from '../plugin/sample-data'
import { EXIT_FAILURE, EXIT_USAGE, fail, loadCliConfig, readDataOption } from './context'
import { formatResult, jsonReport, maskRequest, recordingHeaders, secretRefs, secretValues } from './test-report'

interface TestOptions {
  event?: string
  data?: string
  eventFile?: string
  json?: boolean
}

export { MASK, maskRequest, secretValues, formatResult } from './test-report'

/** The event to test with: --event, else the profile's first, else the channel's first. */
export function pickEvent(profile: Profile, registry: PluginRegistry, wanted?: string): { event: string; channel: string; spec: EventSpec | undefined } {
  const plugin = registry.get(profile.channel)
  const subscribed = profile.events ?? (plugin?.catchAll ? undefined : registry.eventsOf(profile.channel))
  if (wanted !== undefined && subscribed !== undefined && !subscribed.includes(wanted)) {
    fail(`profile ${profile.id} does not receive event "${wanted}" (events: ${subscribed.join(', ')})`, EXIT_USAGE)
  }
  const event = wanted ?? subscribed?.[0] ?? 'test'
  if (plugin?.catchAll) {
    // A catch-all profile receives other channels' events by name: test with the real one.
    const owner = registry.plugins.find((p) => !p.catchAll && Object.prototype.hasOwnProperty.call(p.events, event))
    if (owner) return { event, channel: owner.name, spec: owner.events[event] }
  }
  const spec = registry.eventSpec(profile.channel, event)
  if (spec === undefined) fail(`channel ${profile.channel} has no event "${event}"`, EXIT_USAGE)
  return { event, channel: profile.channel, spec }
}

async function readEnvelope(file: string): Promise<CallbackEvent> {
  const text = await readFile(file, 'utf8').catch((e: Error) => fail(`cannot read ${file}: ${e.message}`, EXIT_USAGE))
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (e) {
    return fail(`${file} is not valid JSON: ${(e as Error).message}`, EXIT_USAGE)
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v) || typeof (v as { data?: unknown }).data !== 'object') {
    return fail(`${file} is not an event envelope { id, account, data }`, EXIT_USAGE)
  }
  return v as CallbackEvent
}

export function register(program: Command): void {
  program
    .command('test')
    .description("send one real callback to a profile (the Test button): sample data from the catalog's examples, or --data / --event-file")
    .argument('<profile>', 'profile id')
    .option('--event <name>', 'the event, where the profile receives several (default: its first)')
    .option('--data <json>', "the event's data as JSON, or @file.json")
    .option('--event-file <file>', 'a whole envelope { id, account, profile?, occurredAt?, data }')
    .option('--json', 'print { ok, request, response, error, latencyMs } as one JSON document, secrets as their ${env:NAME} reference')
    .action(async (id: string, opts: TestOptions, cmd: Command) => {
      if (opts.data !== undefined && opts.eventFile !== undefined) fail('give --data or --event-file, not both', EXIT_USAGE)
      const config = await loadCliConfig(cmd, { tolerateErrors: true })
      const loaded = config.profiles.find((p) => p.profile.id === id)
      if (!loaded) fail(`no valid profile "${id}" (run \`callback-router validate\` to see every problem)`, EXIT_FAILURE)
      const { profile, raw } = loaded
      const { event, channel, spec } = pickEvent(profile, config.registry, opts.event)

      let envelope: CallbackEvent
      if (opts.eventFile !== undefined) {
        envelope = await readEnvelope(opts.eventFile)
      } else {
        const data = opts.data !== undefined ? await readDataOption(opts.data) : spec ? sampleData(spec) : {}
        if (data === null || typeof data !== 'object' || Array.isArray(data)) fail('--data must be a JSON object', EXIT_USAGE)
        envelope = {
          id: `test_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
          account: profile.account,
          profile: profile.id,
          occurredAt: new Date().toISOString(),
          data: data as Record<string, unknown>,
        }
      }
      const validate = config.registry.payloadValidator(channel, event)
      if (validate && !validate(envelope.data)) {
        process.stderr.write(`warning: data does not match the ${channel} ${event} payload schema: ${validate.errors?.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}\n`)
      }

      const settings = config.settings
      const compiled = (() => {
        try {
          return compileProfile(profile, config.registry, { defaultTimeoutMs: settings.delivery.defaultTimeoutMs })
        } catch (e) {
          return fail(`profile ${profile.id}: ${(e as Error).message}`)
        }
      })()
      const policyDispatcher = createDispatcher({ allow: settings.network.allow })
      const recording = recordingHeaders(policyDispatcher)
      let result: DeliveryAttempt
      try {
        const deliverer = createDeliverer({ dispatcher: recording.dispatcher, maxResponseBytes: settings.delivery.maxResponseBytes, defaultRateLimit: settings.delivery.defaultRateLimit })
        result = await deliverer.attempt(compiled, envelope, { event, channel })
      } finally {
        await policyDispatcher.destroy()
      }
      if (opts.json) {
        const report = jsonReport(result, raw, secretRefs(raw), result.request ? recording.headersOf(result.request.url) : undefined)
        process.stdout.write(JSON.stringify(report, null, 2) + '\n')
        if (!report.ok) process.exitCode = EXIT_FAILURE
        return
      }
      const printed = result.request ? maskRequest(result.request, raw, secretValues(raw)) : undefined
      process.stdout.write(`Testing ${profile.id} with ${channel} ${event} (event ${envelope.id})\n\n`)
      process.stdout.write(formatResult(result, printed))
      if (result.outcome === 'delivered') {
        process.stdout.write('\nCallback profile tested\n')
        return
      }
      fail(`Callback failed: ${result.outcome === 'failed' ? result.error : `${result.outcome}: ${result.error}`}`, EXIT_FAILURE)
    })
}
