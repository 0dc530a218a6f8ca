// `variables <channel> [event]`: the Dynamic Variables pane. The catalog as a table,
// then the "Copy to Clipboard" text for the selected variables.
import type { Command } from 'commander'
import type { PluginRegistry } from '../plugin/registry'
import type { VariableSpec } from '../json-shapes'
import { closest, ENVELOPE_VARIABLES } from '../plugin/catalog'
import { buildSnippet, SNIPPET_FORMATS, type SnippetFormat } from '../plugin/snippet'
import { mergedProperties } from '../plugin/merged-schema'
import { failWith, loadCliConfig } from './context'
import { CallbackRouterError } from '../errors'
import { table } from './table'

/** One event's answer; `--json` prints exactly this (an array of them without an event). */
export interface VariablesListing {
  channel: string
  event: string
  variables: VariableSpec[]
  snippet: string
}

export interface VariablesOptions {
  select?: string[]
  format?: SnippetFormat
}

/** A channel, event, name or format the user got wrong: CLI_USAGE (exit 2). */
function usage(message: string): CallbackRouterError {
  return new CallbackRouterError('CLI_USAGE', [message])
}

/**
 * The listings for `channel` (every event, or `event`). A catch-all channel shows
 * its generic catalog, and for a named event also that event's catalogs from every
 * channel, since its profiles receive them.
 */
export function listVariables(registry: PluginRegistry, channel: string, event?: string, options: VariablesOptions = {}): VariablesListing[] {
  const plugin = registry.get(channel)
  if (!plugin) throw usage(`unknown channel "${channel}" (channels: ${registry.names.join(', ')})`)
  const format = options.format ?? 'query'
  if (!SNIPPET_FORMATS.includes(format)) throw usage(`unknown format "${format}" (formats: ${SNIPPET_FORMATS.join(', ')})`)

  let events: string[]
  if (event !== undefined) {
    if (!registry.eventSpec(channel, event)) {
      const known = registry.eventsOf(channel)
      const hint = closest(event, known)
      throw usage(`channel "${channel}" has no event "${event}"${hint ? ` (did you mean "${hint}"?)` : ''} (events: ${known.join(', ')})`)
    }
    events = [event]
  } else {
    events = plugin.catchAll ? ['*'] : registry.eventsOf(channel)
  }

  const listings = events.map((name) => {
    // A catch-all's generic spec sits under `*`, which is not an event name the registry answers.
    const spec = plugin.catchAll ? plugin.events['*'] : registry.eventSpec(channel, name)
    const catalog = [...(spec?.variables ?? [])]
    const schemas = new Map<string, Record<string, unknown>>()
    for (const v of catalog) schemas.set(v.name, spec!.payloadSchema)
    if (plugin.catchAll && name !== '*') {
      for (const other of registry.plugins) {
        const otherSpec = other === plugin ? undefined : Object.prototype.hasOwnProperty.call(other.events, name) ? other.events[name] : undefined
        for (const v of otherSpec?.variables ?? []) {
          if (schemas.has(v.name)) continue
          catalog.push(v)
          schemas.set(v.name, otherSpec!.payloadSchema)
        }
      }
    }
    return { name, catalog, schemas }
  })

  if (options.select) {
    const offered = new Set([...listings.flatMap((l) => l.catalog.map((v) => v.name)), ...ENVELOPE_VARIABLES.map((v) => v.name)])
    for (const s of options.select) {
      if (!offered.has(s)) {
        const hint = closest(s, [...offered])
        throw usage(`--select: "${s}" is not a variable of ${channel}${event ? ` ${event}` : ''}${hint ? ` (did you mean "${hint}"?)` : ''}`)
      }
    }
  }

  return listings.map(({ name, catalog, schemas }) => {
    const selected = options.select
      ? options.select.flatMap((s) => catalog.filter((v) => v.name === s).concat(ENVELOPE_VARIABLES.filter((v) => v.name === s)))
      : catalog
    // Each name is pasted against the schema of the event that declared it; they
    // agree on everything but literal keys, which only their own schema knows.
    const snippetSchema = (n: string) => schemas.get(n)
    const snippet = buildSnippetFor(selected.map((v) => v.name), format, snippetSchema)
    return { channel, event: name, variables: selected, snippet }
  })
}

function buildSnippetFor(names: string[], format: SnippetFormat, schemaOf: (name: string) => Record<string, unknown> | undefined): string {
  // One schema is enough when every name comes from the same one (the usual case).
  const distinct = new Set(names.map(schemaOf).filter((s) => s !== undefined))
  if (distinct.size <= 1) return buildSnippet(names, format, [...distinct][0])
  return buildSnippet(names, format, mergedProperties([...distinct]))
}

/** The pane as text: a table per event, then its snippet. */
export function renderListing(l: VariablesListing, format: SnippetFormat): string {
  const rows = l.variables.map((v) => [v.name, v.type, JSON.stringify(v.example), v.description])
  // Examples and names can be long: capped so the description still shows.
  const lines = table(['NAME', 'TYPE', 'EXAMPLE', 'DESCRIPTION'], rows, [48, 48, 40])
  const title = l.event === '*' ? `${l.channel}: any event` : `${l.channel} ${l.event}`
  const how: Record<SnippetFormat, string> = {
    query: 'paste after ? in a GET endpoint',
    urlencoded: 'paste as a urlencoded body',
    json: 'paste as a JSON body',
    form: 'paste as a form (or urlencoded) body object',
  }
  return [
    `${title} (${l.variables.length} variable${l.variables.length === 1 ? '' : 's'})`,
    lines,
    '',
    `${format} snippet (${how[format]}):`,
    l.snippet,
  ].join('\n')
}

export function register(program: Command): void {
  program
    .command('variables')
    .description("show a channel's dynamic variables and a paste-ready snippet (the Dynamic Variables pane)")
    .argument('<channel>', 'channel (plugin name)')
    .argument('[event]', 'event of the channel (default: every event)')
    .option('--select <names>', 'comma-separated variable names to put in the snippet (default: all)')
    .option('--format <format>', `snippet format: ${SNIPPET_FORMATS.join(', ')}`, 'query')
    .option('--json', 'print { channel, event, variables, snippet } (an array of them without an event)')
    .addHelpText(
      'after',
      '\nEnvelope variables _event.id, _event.account, _event.channel, _event.name, _event.occurredAt and\n_event.profile are always available and may be selected too.',
    )
    .action(async (channel: string, event: string | undefined, opts: { select?: string; format: string; json?: boolean }, cmd: Command) => {
      const config = await loadCliConfig(cmd, { settingsOnly: true, tolerateErrors: true })
      const names = opts.select
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean)
      const select = names && [...new Set(names)]
      let listings: VariablesListing[]
      try {
        listings = listVariables(config.registry, channel, event, { select, format: opts.format as SnippetFormat })
      } catch (e) {
        if (e instanceof CallbackRouterError && e.code === 'CLI_USAGE') failWith('CLI_USAGE', `variables: ${e.message}`)
        throw e
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify(event !== undefined ? listings[0] : listings, null, 2) + '\n')
        return
      }
      process.stdout.write(listings.map((l) => renderListing(l, opts.format as SnippetFormat)).join('\n\n') + '\n')
    })
}
