// Messages that looped forever before the internal_error and truncation rules (issue 14):
// an event of exactly max_payload (its dead letter did not fit), jobs with missing or
// garbage headers (decoding threw), and a forged job whose envelope's account does not own
// its profile (it was delivered). Each must end as exactly one dead letter of its reason.
import { createHash } from 'node:crypto'
import { headers as natsHeaders, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats'
import { H, encodeJob, jobSubject, type Job } from '../../core/jetstream/jobs'
import { STREAMS } from '../../core/jetstream/streams'
import { readStream, type ReadMessage } from '../../core/jetstream/stream-read'
import { TRUNCATED_BYTES } from '../../core/jetstream/dead-letters'
import { smsData, sleep, type Check } from './lib'

export interface Hostile {
  hugeSize: number
  hugeSha256: string
  noHeadersBody: string
}

/**
 * Publishes the hostile messages. `profile` is a profile of account `account` on sms; the
 * forged job claims it for an event of `otherAccount`.
 */
export async function publishHostile(nc: NatsConnection, js: JetStreamClient, o: { profile: string; account: string; otherAccount: string }): Promise<Hostile> {
  const hugeSize = nc.info?.max_payload ?? 1024 * 1024
  const huge = Buffer.alloc(hugeSize, 'x')
  Buffer.from(JSON.stringify({ id: 'hx_huge', account: o.account, data: smsData(1), pad: '' }).slice(0, -2)).copy(huge)
  huge.write('"}', hugeSize - 2)
  await js.publish('callbacks.sms.sms-send', huge)

  const noHeadersBody = JSON.stringify({ id: 'hx_nohdr', account: o.account, data: smsData(2) })
  await js.publish(jobSubject('fresh', o.profile), Buffer.from(noHeadersBody))

  const garbage = natsHeaders()
  garbage.set(H.eventId, 'hx_garbage')
  garbage.set(H.profile, o.profile)
  garbage.set(H.cycle, 'NaN')
  garbage.set(H.attempt, '0')
  garbage.set(H.notBefore, '-5')
  await js.publish(jobSubject('retry', o.profile), Buffer.from(JSON.stringify({ id: 'hx_garbage', account: o.account, data: smsData(3) })), { headers: garbage })

  const forged: Job = { eventId: 'hx_forged', profile: o.profile, channel: 'sms', event: 'sms-send', subject: 'callbacks.sms.sms-send', cycle: 1, attempt: 1, notBefore: 0, attempts: [] }
  await js.publish(jobSubject('fresh', o.profile), Buffer.from(JSON.stringify({ id: 'hx_forged', account: o.otherAccount, data: smsData(4) })), { headers: encodeJob(forged) })
  return { hugeSize, hugeSha256: createHash('sha256').update(huge).digest('hex'), noHeadersBody }
}

interface Found {
  huge: ReadMessage[]
  noHeaders: ReadMessage[]
  garbage: ReadMessage[]
  forged: ReadMessage[]
}

async function find(js: JetStreamClient, jsm: JetStreamManager, h: Hostile): Promise<Found> {
  const dead = await readStream(js, jsm, STREAMS.dead)
  const reason = (m: ReadMessage): string => m.headers?.get(H.reason) ?? ''
  const eventId = (m: ReadMessage): string => m.headers?.get(H.eventId) ?? ''
  return {
    huge: dead.filter((m) => reason(m) === 'payload_too_large' && m.headers?.get(H.eventSize) === String(h.hugeSize)),
    noHeaders: dead.filter((m) => reason(m) === 'internal_error' && Buffer.from(m.data).toString() === h.noHeadersBody),
    garbage: dead.filter((m) => reason(m) === 'internal_error' && eventId(m) === 'hx_garbage'),
    forged: dead.filter((m) => eventId(m) === 'hx_forged'),
  }
}

/** Waits (up to timeoutMs) for the four dead letters, then checks them and that none came twice. */
export async function checkHostile(js: JetStreamClient, jsm: JetStreamManager, h: Hostile, delivered: (webhookId: string) => boolean, timeoutMs = 60_000): Promise<Check[]> {
  const deadline = Date.now() + timeoutMs
  let f = await find(js, jsm, h)
  while (!(f.huge.length && f.noHeaders.length && f.garbage.length && f.forged.length) && Date.now() < deadline) {
    await sleep(500)
    f = await find(js, jsm, h)
  }
  // Two more redelivery periods: a message that still looped would add a second dead letter.
  await sleep(2500)
  f = await find(js, jsm, h)
  const huge = f.huge[0]
  const hugeOk = f.huge.length === 1 && huge.headers?.get(H.truncated) === 'true' && huge.headers?.get(H.eventSha256) === h.hugeSha256 && huge.data.byteLength === TRUNCATED_BYTES
  return [
    { name: `an event of max_payload (${h.hugeSize} bytes): one payload_too_large dead letter, its first 64 KiB kept with size and SHA-256`, ok: hugeOk, detail: `${f.huge.length} found` },
    { name: 'a job without headers: one internal_error dead letter after 5 failed handlings', ok: f.noHeaders.length === 1 && /5 times/.test(f.noHeaders[0].headers?.get(H.detail) ?? ''), detail: `${f.noHeaders.length} found` },
    { name: 'a job with garbage headers: one internal_error dead letter after 5 failed handlings', ok: f.garbage.length === 1, detail: `${f.garbage.length} found` },
    { name: 'a forged job of another account: one account_mismatch dead letter, nothing sent', ok: f.forged.length === 1 && f.forged[0].headers?.get(H.reason) === 'account_mismatch' && !delivered('hx_forged'), detail: `${f.forged.length} found` },
  ]
}
