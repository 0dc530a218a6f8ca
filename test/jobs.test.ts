// Job headers carry the retry state; they must read back exactly.
import t from 'tap'
import { headers } from 'nats'
import { decodeJob, encodeJob, jobMsgId, jobSubject, encodeSummaries, decodeSummaries, JobHeaderError, H, type Job } from '../core/jetstream/jobs'

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
