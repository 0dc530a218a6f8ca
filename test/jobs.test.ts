// Job headers carry the retry state; they must read back exactly.
import t from 'tap'
import { headers, type JsMsg, type MsgHdrs } from 'nats'
import { natsForTest } from './helpers/nats-server'
import { decodeJob, replayCycleOf, encodeJob, jobMsgId, jobSubject, encodeSummaries, decodeSummaries, JobHeaderError, H, type Job } from '../core/jetstream/jobs'

const job: Job = {
  eventId: 'evt_1',
  profile: 'acme-sms',
  channel: 'sms',
  event: 'sms-send',
  subject: 'callbacks.sms.sms-send',
  cycle: 2,
  attempt: 3,
  notBefore: 1_700_000_000_123,
  attempts: [
    { attempt: 1, at: '2026-01-01T00:00:00.000Z', status: 503, error: 'status 503', latencyMs: 12 },
    { attempt: 2, at: '2026-01-01T00:00:10.000Z', status: null, error: 'timeout\nwith "quotes"', latencyMs: 5000 },
  ],
}

t.test('a job survives encoding to headers and back', async (t) => {
  t.same(decodeJob(encodeJob(job)), job)
})

t.test('the summaries header holds no line breaks', async (t) => {
  t.notMatch(encodeSummaries(job.attempts), /[\r\n]/)
  t.same(decodeSummaries(encodeSummaries(job.attempts)), job.attempts)
  t.same(decodeSummaries('not json'), [], 'garbage reads as no attempts')
})

t.test('msg id is eventId:profileId:cycle:attempt, and subjects split fresh from retry', async (t) => {
  t.equal(jobMsgId(job), 'evt_1:acme-sms:2:3')
  t.equal(jobSubject('fresh', 'p1'), 'callback-router.jobs.fresh.p1')
  t.equal(jobSubject('retry', 'p1'), 'callback-router.jobs.retry.p1')
})

t.test('missing or malformed headers are refused with a coded error', async (t) => {
  t.throws(() => decodeJob(undefined), { code: 'JOB_HEADERS' })
  t.ok(new JobHeaderError('x') instanceof Error)
  const h = encodeJob(job)
  h.set(H.attempt, '0')
  t.throws(() => decodeJob(h), { code: 'JOB_HEADERS' })
  const h2 = headers()
  h2.set(H.eventId, 'x')
  t.throws(() => decodeJob(h2), { code: 'JOB_HEADERS' })
})

t.test("an event's replay cycle is read from its raw headers as decoding them would: absent, beside other headers, set, and without nats.js's raw fields", async (t) => {
  const { jsm, js } = await natsForTest(t)
  await jsm.streams.add({ name: 'REPLAY_T', subjects: ['replay.t'] })
  const withHeaders = (pairs: Array<[string, string]>): MsgHdrs => {
    const h = headers()
    for (const [k, v] of pairs) h.set(k, v)
    return h
  }
  const cases: Array<{ name: string; h?: MsgHdrs; want: number }> = [
    { name: 'no headers', want: 1 },
    { name: 'a Nats-Msg-Id only', h: withHeaders([['Nats-Msg-Id', 'evt-2']]), want: 1 },
    { name: 'a value naming the header, not the header', h: withHeaders([['X-Note', 'CR-Replay-Cycle']]), want: 1 },
    { name: 'cycle 3 beside a msg id', h: withHeaders([['Nats-Msg-Id', 'evt-4'], [H.replayCycle, '3']]), want: 3 },
    { name: 'cycle 2 alone', h: withHeaders([[H.replayCycle, '2']]), want: 2 },
    { name: 'a garbled cycle', h: withHeaders([[H.replayCycle, 'x']]), want: 1 },
  ]
  for (const c of cases) await js.publish('replay.t', new TextEncoder().encode('{}'), c.h ? { headers: c.h } : {})
  const consumer = await js.consumers.get('REPLAY_T')
  for (const c of cases) {
    const m = await consumer.next()
    if (m === null) throw new Error(`no message for ${c.name}`)
    t.equal(replayCycleOf(m), c.want, c.name)
    t.equal(Number(m.headers?.get(H.replayCycle)) || 1, c.want, `${c.name}: the same as decoding the headers`)
    // A nats.js that kept its message differently: decoded, the same answer.
    t.equal(replayCycleOf({ headers: m.headers } as unknown as JsMsg), c.want, `${c.name}: without raw fields`)
  }
})
