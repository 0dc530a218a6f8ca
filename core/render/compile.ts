// (profile, event) -> the exact request: the delivery pipeline's pure half.
//   variables → encrypt parameters → render endpoint/body/headers → format
//   → Content-Type → webhook-id, webhook-timestamp, webhook-signature
// compileProfile refuses a profile on the rule book's request rules (config/profile-rules.ts,
// the same rules `validate` runs), then parses it once; render only reads and joins.
// Authorization and User-Agent are the HTTP side's business, not this file's.
import type { CallbackEvent } from '../generated/event'
import type { Profile } from '../generated/profile'
import type { ChannelPlugin, FormattedBody, RenderedFields } from '../plugin/contract'
import type { PluginRegistry } from '../plugin/registry'
import { CallbackRouterError } from '../errors'
import { requestError, withDefaults, type CheckedProfile } from '../config/profile-rules'
import { compileParameters, createEncryptor, encryptParameters } from './encrypt'
import { CONTENT_TYPES, formatterOf } from './formats'
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
  readonly profile: CheckedProfile
  readonly plugin: ChannelPlugin
  readonly timeoutMs: number
  render(envelope: CallbackEvent, ctx: RenderContext): OutgoingRequest
}

export interface CompileOptions {
  defaultTimeoutMs?: number
}

type BodyRenderer = (vars: Variables, data: Record<string, unknown>) => FormattedBody

const JSON_TYPE = CONTENT_TYPES.json

/** The body renderer of a POST/PUT/PATCH profile that passed the rules. */
function compileBody(profile: CheckedProfile, registry: PluginRegistry): BodyRenderer {
  const { format, body } = profile
  if (format === 'json') {
    if (body === undefined) return defaultJsonBody
    const render = compileJsonBody(body)
    return (vars) => ({ body: Buffer.from(render(vars), 'utf8'), contentType: JSON_TYPE })
  }
  if (format === 'urlencoded' && typeof body === 'string') {
    const render = compileUrlencodedString(body)
    return (vars) => ({ body: Buffer.from(render(vars), 'utf8'), contentType: CONTENT_TYPES.urlencoded })
  }
  // The rules made sure the format exists and the body is a flat object of templates.
  const formatter = formatterOf(format, registry)!
  if (body === undefined) return (vars) => formatter(flattenVariables(vars))
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

export function compileProfile(input: Profile, registry: PluginRegistry, options: CompileOptions = {}): CompiledProfile {
  const profile = withDefaults(input)
  const refused = requestError(profile, registry)
  if (refused) throw refused
  const plugin = registry.get(profile.channel)!
  const method: HttpMethod = profile.method
  const timeoutMs = effectiveRetry(plugin.retry, profile.retry, options.defaultTimeoutMs).timeoutMs
  const endpoint = compileEndpoint(profile.endpoint)
  const renderBody = method !== 'GET' && method !== 'DELETE' ? compileBody(profile, registry) : undefined

  const headers: [string, TextTemplate][] = []
  let contentType: TextTemplate | undefined
  for (const [name, value] of Object.entries(profile.headers)) {
    const render = compileHeader(name, value)
    if (name.toLowerCase() === 'content-type') contentType = render
    else headers.push([name.toLowerCase(), render])
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
