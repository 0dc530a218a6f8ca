// (profile, event) -> the exact request: the delivery pipeline's pure half.
//   variables → encrypt parameters → render endpoint/body/headers → format
//   → Content-Type → webhook-id, webhook-timestamp, webhook-signature
// Everything is parsed and checked in compileProfile; render only reads and joins.
// Authorization and User-Agent are the HTTP side's business, not this file's.
import type { CallbackEvent } from '../generated/event'
import type { Profile } from '../generated/profile'
import type { ChannelPlugin, FormattedBody, Formatter, RenderedFields } from '../plugin/contract'
import type { PluginRegistry } from '../plugin/registry'
import { CallbackRouterError } from '../errors'
import { compileParameters, createEncryptor, encryptParameters } from './encrypt'
import { CONTENT_TYPES, formatMultipart, formatUrlencoded } from './formats'
import { createSigner } from './sign'
import { effectiveRetry } from './retry-policy'
import { compileEndpoint, compileFields, compileHeader, compileJsonBody, compileUrlencodedString, flattenVariables, type TextTemplate } from './template'
import { buildVariables, type Variables } from './variables'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface OutgoingRequest {
  method: HttpMethod
  url: string
  /** Header names in lower case. */
  headers: Record<string, string>
  body?: Uint8Array
}

export interface RenderContext {
  event: string
  /** The channel the event was published on (a catch-all profile receives other channels' events). */
  channel: string
  /** Unix seconds of the attempt. */
  timestamp: number
}

export interface CompiledProfile {
  readonly profile: Profile
  readonly plugin: ChannelPlugin
  readonly timeoutMs: number
  render(envelope: CallbackEvent, ctx: RenderContext): OutgoingRequest
}

export interface CompileOptions {
  defaultTimeoutMs?: number
}

/** Headers the daemon sets itself: framing, Host and the webhook headers it signs. profile-check refuses them at load. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive', 'webhook-id', 'webhook-timestamp', 'webhook-signature'])

type BodyRenderer = (vars: Variables, data: Record<string, unknown>) => FormattedBody

const JSON_TYPE = CONTENT_TYPES.json

function shapeError(message: string): CallbackRouterError {
  return new CallbackRouterError('CONFIG_BODY_SHAPE', [message], '/body')
}

/** The body renderer of a POST/PUT/PATCH profile, or throws a config error. */
function compileBody(profile: Profile, registry: PluginRegistry): BodyRenderer {
  const format = profile.format ?? 'json'
  const body = profile.body
  if (format === 'json') {
    if (body === undefined) return defaultJsonBody
    const render = compileJsonBody(body)
    return (vars) => ({ body: Buffer.from(render(vars), 'utf8'), contentType: JSON_TYPE })
  }
  let formatter: Formatter
  if (format === 'urlencoded') {
    if (typeof body === 'string') {
      const render = compileUrlencodedString(body)
      return (vars) => ({ body: Buffer.from(render(vars), 'utf8'), contentType: CONTENT_TYPES.urlencoded })
    }
    formatter = formatUrlencoded
  } else if (format === 'form') {
    formatter = (fields) => formatMultipart(fields)
  } else {
    const plugged = registry.pluginFormatters().get(format)
    if (!plugged) throw new CallbackRouterError('CONFIG_UNKNOWN_FORMAT', [format, ['json', 'urlencoded', 'form', ...registry.pluginFormatters().keys()].join(', ')], '/format')
    formatter = plugged
  }
  if (body === undefined) return (vars) => formatter(flattenVariables(vars))
  if (typeof body === 'string') throw shapeError(`the ${format} format takes an object of field -> template`)
  if (Array.isArray(body)) throw shapeError(`the ${format} format takes a flat object of field -> template, not an array`)
  const fields: (vars: Variables) => RenderedFields = compileFields(body as Record<string, unknown>)
  return (vars) => formatter(fields(vars))
}

/** No body template with json: the event's data (after encryption) and `_event`. */
function defaultJsonBody(vars: Variables, data: Record<string, unknown>): FormattedBody {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(data)) out[key] = vars[key]
  out._event = vars._event
  return { body: Buffer.from(JSON.stringify(out), 'utf8'), contentType: JSON_TYPE }
}

export function compileProfile(profile: Profile, registry: PluginRegistry, options: CompileOptions = {}): CompiledProfile {
  const plugin = registry.get(profile.channel)
  if (!plugin) throw new CallbackRouterError('CONFIG_UNKNOWN_CHANNEL', [profile.channel, registry.names.join(', ')], profile.id)
  const method: HttpMethod = profile.method ?? 'POST'
  const format = profile.format ?? 'json'
  const timeoutMs = effectiveRetry(plugin.retry, profile.retry, options.defaultTimeoutMs).timeoutMs
  const endpoint = compileEndpoint(profile.endpoint)

  const hasBody = method !== 'GET' && method !== 'DELETE'
  if (!hasBody && profile.body !== undefined) throw new CallbackRouterError('CONFIG_BODY_NOT_ALLOWED', [method], '/body')
  const renderBody = hasBody ? compileBody(profile, registry) : undefined

  const headers: [string, TextTemplate][] = []
  let contentType: TextTemplate | undefined
  for (const [name, value] of Object.entries(profile.headers ?? {})) {
    const lower = name.toLowerCase()
    if (RESERVED_HEADERS.has(lower)) throw new CallbackRouterError('CONFIG_HEADER_RESERVED', [name], `/headers/${name}`)
    const render = compileHeader(name, value)
    if (lower === 'content-type') {
      if (format === 'form') throw new CallbackRouterError('CONFIG_HEADER_CONTENT_TYPE_FORM', [], '/headers')
      contentType = render
    } else headers.push([lower, render])
  }

  const encryptor = profile.encryption ? createEncryptor(profile.encryption) : undefined
  const parameters = profile.encryption ? compileParameters(profile.encryption.parameters) : []
  const sign = profile.signing ? createSigner(profile.signing.secret) : undefined
  const profileId = profile.id

  const render = (envelope: CallbackEvent, ctx: RenderContext): OutgoingRequest => {
    const eventPlugin = ctx.channel === plugin.name ? plugin : registry.get(ctx.channel) ?? plugin
    let vars = buildVariables(envelope, { channel: ctx.channel, event: ctx.event, profileId }, eventPlugin)
    if (encryptor) vars = encryptParameters(vars, parameters, encryptor)

    const url = endpoint(vars)
    const out: Record<string, string> = {}
    for (let i = 0; i < headers.length; i++) out[headers[i][0]] = headers[i][1](vars)
    let body: Uint8Array | undefined
    if (renderBody) {
      const formatted = renderBody(vars, envelope.data as Record<string, unknown>)
      body = formatted.body
      out['content-type'] = contentType ? contentType(vars) : formatted.contentType
    }
    const webhookId = `${envelope.id}:${profileId}`
    out['webhook-id'] = webhookId
    out['webhook-timestamp'] = String(ctx.timestamp)
    if (sign) out['webhook-signature'] = sign(webhookId, ctx.timestamp, body ?? EMPTY)
    return body === undefined ? { method, url, headers: out } : { method, url, headers: out, body }
  }

  return {
    profile,
    plugin,
    timeoutMs,
    render(envelope, ctx) {
      try {
        return render(envelope, ctx)
      } catch (err) {
        if (err instanceof CallbackRouterError) throw err
        throw new CallbackRouterError('render_failed', [(err as Error).message], `${envelope.id}:${profileId}`)
      }
    },
  }
}

const EMPTY = new Uint8Array(0)
