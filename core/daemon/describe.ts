// What a dead letter can say about a message the daemon could not handle: read without
// trusting it (a job's headers may be garbage, an event may not be JSON), never throwing.
import type { JsMsg } from 'nats'
import { H, decodeSummaries, type AttemptSummary } from '../jetstream/jobs'
import { STREAMS } from '../jetstream/streams'
import type { DaemonContext } from './context'
import type { DeadLetterFields } from './handle'
import { parseSubject } from './route'

const EVENT_ID = /^[A-Za-z0-9_-]{1,128}$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

function header(m: JsMsg, name: string): string | null {
  try {
    return m.headers?.get(name) || null
  } catch {
    return null
  }
}

function eventIdOf(value: unknown): string | null {
  return typeof value === 'string' && EVENT_ID.test(value) ? value : null
}

function positive(text: string | null): number {
  const n = Number(text)
  return Number.isInteger(n) && n >= 1 ? n : 1
}

/** The fields of an internal_error dead letter for `m`, as far as they can be read. */
export function describeMessage(ctx: Pick<DaemonContext, 'settings' | 'maxEventBytes'>, m: JsMsg): DeadLetterFields & { origin: 'event' | 'job' } {
  const stream = m.info.stream
  const msgId = `internal:${stream}:${m.seq}`
  if (stream === STREAMS.jobs) {
    const attempts: AttemptSummary[] = decodeSummaries(header(m, H.attempts) ?? undefined)
    return { origin: 'job', eventId: eventIdOf(header(m, H.eventId)), profile: header(m, H.profile), channel: header(m, H.channel), event: header(m, H.event), subject: header(m, H.subject) ?? m.subject, cycle: positive(header(m, H.cycle)), attempts, msgId }
  }
  const where = parseSubject(m.subject, ctx.settings.nats.subjectPrefix)
  let eventId: string | null = null
  let profile: string | null = null
  if (m.data.byteLength <= ctx.maxEventBytes) {
    try {
      const o = JSON.parse(utf8.decode(m.data)) as Record<string, unknown> | null
      if (o && typeof o === 'object') {
        eventId = eventIdOf(o.id)
        profile = typeof o.profile === 'string' ? o.profile : null
      }
    } catch {
      // Not JSON: the dead letter keeps the bytes; there is no id to show.
    }
  }
  return { origin: 'event', eventId, profile, channel: where?.channel ?? null, event: where?.event ?? null, subject: m.subject, cycle: positive(header(m, H.replayCycle)), attempts: [], msgId }
}
