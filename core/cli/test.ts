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
import { compileProfile, type OutgoingRequest } from '../render/compile'
import { sampleData } from '../plugin/sample-data'
import { redact } from '../redact'
import { EXIT_FAILURE, EXIT_USAGE, fail, loadCliConfig, readDataOption } from './context'

interface TestOptions {
  event?: string
  data?: string
  eventFile?: string
}

export const MASK = '****'
const BODY_PRINT_LIMIT = 4096

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

/** Every `${env:NAME}` value the raw profile refers to: what the printout must not show. */
export function secretValues(raw: unknown, env: NodeJS.ProcessEnv = process.env): string[] {
  const out = new Set<string>()
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
        const value = env[m[1]]
        // Too short to mask without masking ordinary text.
        if (value !== undefined && value.length >= 4) out.add(value)
      }
    } else if (Array.isArray(v)) v.forEach(walk)
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk)
  }
  walk(raw)
  // Longest first, so a secret containing another is masked whole.
  return [...out].sort((a, b) => b.length - a.length)
}

function maskText(text: string, secrets: readonly string[]): string {
  let out = text
  for (const s of secrets) {
    out = out.split(s).join(MASK)
    const encoded = encodeURIComponent(s)
    if (encoded !== s) out = out.split(encoded).join(MASK)
  }
  return out
}

/**
 * The request as printed: Authorization keeps only its scheme, the signature its
 * version, headers written with ${env:…} in the profile are masked whole, and any
 * env-provided value is masked wherever it appears (URL, headers, body).
 */
export function maskRequest(req: OutgoingRequest, raw: unknown, secrets: readonly string[]): { method: string; url: string; headers: [string, string][]; body: string | undefined } {
  const rawHeaders = (raw as { headers?: Record<string, unknown> } | null)?.headers ?? {}
  const envHeaders = new Set(Object.entries(rawHeaders).filter(([, v]) => typeof v === 'string' && v.includes('${env:')).map(([k]) => k.toLowerCase()))
  const headers = Object.entries(req.headers).map(([name, value]): [string, string] => {
    if (name === 'authorization') return [name, `${value.split(' ')[0]} ${MASK}`]
    if (name === 'webhook-signature') return [name, value.split(' ').map((s) => `${s.split(',')[0]},${MASK}`).join(' ')]
    if (envHeaders.has(name)) return [name, MASK]
    return [name, maskText(value, secrets)]
  })
  let body: string | undefined
  if (req.body !== undefined) {
    const text = Buffer.from(req.body).toString('utf8')
    const clipped = text.length > BODY_PRINT_LIMIT ? `${text.slice(0, BODY_PRINT_LIMIT)}… (${req.body.length} bytes)` : text
    body = maskText(clipped, secrets)
  }
  return { method: req.method, url: maskText(req.url, secrets), headers, body }
}

export function formatResult(r: DeliveryAttempt, printed: ReturnType<typeof maskRequest> | undefined): string {
  const lines: string[] = []
  if (printed) {
    lines.push('Request:', `  ${printed.method} ${printed.url}`)
    for (const [k, v] of printed.headers) lines.push(`  ${k}: ${v}`)
    if (printed.body !== undefined) lines.push('', ...printed.body.split('\n').map((l) => `  ${l}`))
    lines.push('')
  }
  if (r.status !== null) {
    lines.push(`Response: ${r.status} in ${r.latencyMs.toFixed(1)} ms`)
    // The receiver may echo a header: its reply shows `${env:…}` values as their references.
    if (r.responseExcerpt !== '') lines.push(...redact(r.responseExcerpt).slice(0, 1024).split('\n').map((l) => `  ${l}`))
  } else {
    lines.push(`No response (${r.error}) after ${r.latencyMs.toFixed(1)} ms`)
  }
  return lines.join('\n') + '\n'
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
      const dispatcher = createDispatcher({ allow: settings.network.allow })
      let result: DeliveryAttempt
      try {
        const deliverer = createDeliverer({ dispatcher, maxResponseBytes: settings.delivery.maxResponseBytes, defaultRateLimit: settings.delivery.defaultRateLimit })
        result = await deliverer.attempt(compiled, envelope, { event, channel })
      } finally {
        await dispatcher.destroy()
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
