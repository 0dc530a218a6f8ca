// No message loops (DESIGN "Delivery pipeline", last paragraph): a message the daemon fails
// to handle 5 times becomes an internal_error dead letter (detail: the error), acked,
// counted and logged; a dead letter too large for NATS keeps the event's first 64 KiB, its
// size and its SHA-256. Each message below looped forever before these rules.
import { createHash } from 'node:crypto'
import t from 'tap'
import { headers as natsHeaders, type MsgHdrs } from 'nats'
import { PluginRegistry } from '../core/plugin/registry'
import { builtins } from '../plugins'
import { sampleData } from '../core/plugin/sample-data'
import { startDaemon, type Daemon } from '../core/daemon/start'
import { createLogger } from '../core/logger'
import { STREAMS } from '../core/jetstream/streams'
import { H, encodeJob, encodeSummaries, jobSubject, type AttemptSummary, type Job } from '../core/jetstream/jobs'
import { listDeadLetters, replayDeadLetter, showDeadLetter, TRUNCATED_BYTES, type DeadLetterEntry } from '../core/jetstream/dead-letters'
import { startEndpoint } from './helpers/endpoint'
import { createFixture, eventually, profile, runCli } from './helpers/daemon-fixture'

const registry = new PluginRegistry(builtins)
const data = sampleData(registry.eventSpec('sms', 'sms-send')!)
const MAX_PAYLOAD = 1024 * 1024

t.test('messages that broke the daemon end as dead letters, never loop', async (t) => {
  const ep = await startEndpoint({ behaviour: { status: 500 } })
  t.teardown(() => ep.close())
  const fx = await createFixture({ profiles: [profile('acme-p', `${ep.url}/acme`, { retry: { count: 3, intervalSeconds: 60 } }), profile('other-p', `${ep.url}/other`, { account: 'other' })] })
  t.teardown(() => fx.close())
  const logs: string[] = []
  const daemon: Daemon = await startDaemon({ configFile: fx.configFile, logger: createLogger('warn', { write: (s: string) => void logs.push(s) }) })
  t.teardown(() => daemon.stop())
  const dead = async (reason: string): Promise<DeadLetterEntry[]> => listDeadLetters(fx.js, fx.jsm, { reason })
  const streamEmpty = async (stream: string): Promise<boolean> => (await fx.jsm.streams.info(stream)).state.messages === 0

  await t.test('an event of exactly max_payload: payload_too_large, stored truncated with its size and SHA-256', async (t) => {
    const head = JSON.stringify({ id: 'evt_huge', account: 'acme', data, pad: '' })
    const bytes = Buffer.alloc(MAX_PAYLOAD, 'x')
    Buffer.from(head.slice(0, -2)).copy(bytes)
    bytes.write('"}', MAX_PAYLOAD - 2)
    await fx.js.publish('callbacks.sms.sms-send', bytes)
    const [entry] = await eventually(() => dead('payload_too_large').then((l) => (l.length ? l : undefined)), 30_000)
    t.equal(entry.reason, 'payload_too_large')
    const shown = await showDeadLetter(fx.js, fx.jsm, entry.id)
    t.same(shown?.truncated, { size: MAX_PAYLOAD, sha256: createHash('sha256').update(bytes).digest('hex'), kept: TRUNCATED_BYTES }, 'size, SHA-256 of the whole event, 64 KiB kept')
    t.equal(shown?.event, bytes.subarray(0, TRUNCATED_BYTES).toString('utf8'), 'the event\'s first 64 KiB')
    await eventually(() => streamEmpty(STREAMS.events), 20_000)
    t.pass('the event was acked')
    await t.rejects(replayDeadLetter(fx.js, fx.jsm, entry.id), { code: 'DEAD_LETTER_NOT_REPLAYABLE' }, 'a truncated dead letter is not replayed as a broken event')
    const cli = (args: string[]) => runCli(['-c', fx.configFile, ...args, '--nats', fx.nats.url])
    const one = await cli(['dead-letters', 'replay', entry.id])
    t.equal(one.code, 1, 'replay of it fails')
    t.match(one.stderr, /cannot be replayed/)
    const all = await cli(['dead-letters', 'replay', '--all', '--reason', 'payload_too_large'])
    t.equal(all.code, 0, 'replay --all skips it')
    t.match(all.stderr, /skipped dead letter \d+ cannot be replayed/)
    t.match(all.stdout, /nothing to replay/)
  })

  await t.test('jobs without headers or with garbage headers: internal_error after 5 failures, acked, counted, logged', async (t) => {
    const envelope = Buffer.from(JSON.stringify({ id: 'evt_garbage', account: 'acme', data }))
    await fx.js.publish(jobSubject('fresh', 'acme-p'), envelope)
    const garbage = natsHeaders()
    garbage.set(H.eventId, 'evt_garbage')
    garbage.set(H.profile, 'acme-p')
    garbage.set(H.cycle, 'zero')
    garbage.set(H.attempt, '-1')
    garbage.set(H.attempts, '{not json')
    await fx.js.publish(jobSubject('retry', 'acme-p'), envelope, { headers: garbage })
    const list = await eventually(() => dead('internal_error').then((l) => (l.length >= 2 ? l : undefined)), 30_000)
    t.equal(list.length, 2, 'one dead letter each')
    for (const e of list) t.match(e.detail, /5 times; last error: .*job/, 'detail: the error')
    t.ok(list.some((e) => e.eventId === 'evt_garbage' && e.profile === 'acme-p'), 'what could be read of the garbage headers is kept')
    await eventually(() => streamEmpty(STREAMS.jobs), 20_000)
    t.pass('both jobs were acked')
    const metric = await daemon.metrics.getSingleMetricAsString('callback_router_dead_letters_total')
    t.match(metric, /callback_router_dead_letters_total\{reason="internal_error"\} 2/, 'counted by reason')
    t.ok(logs.some((l) => /dead letter internal_error/.test(l)), 'logged')
    t.equal(ep.requests.filter((r) => r.path === '/acme').length, 0, 'nothing was sent for them')
  })

  await t.test('a forged job of another account: account_mismatch, nothing sent', async (t) => {
    const job: Job = { eventId: 'evt_forged', profile: 'other-p', channel: 'sms', event: 'sms-send', subject: 'callbacks.sms.sms-send', cycle: 1, attempt: 1, notBefore: 0, attempts: [] }
    await fx.js.publish(jobSubject('fresh', 'other-p'), Buffer.from(JSON.stringify({ id: 'evt_forged', account: 'acme', data })), { headers: encodeJob(job) })
    const [entry] = await eventually(() => dead('account_mismatch').then((l) => (l.length ? l : undefined)), 30_000)
    t.equal(entry.eventId, 'evt_forged')
    t.equal(entry.profile, 'other-p')
    await eventually(() => streamEmpty(STREAMS.jobs), 20_000)
    t.equal(ep.requests.filter((r) => r.path === '/other').length, 0, 'the other account\'s endpoint got nothing')
  })

  await t.test('a job whose retry cannot be published (too large): 5 attempts, then internal_error, stored', async (t) => {
    ep.reset()
    // Attempts in its headers bring the job to within a few bytes of max_payload: the next
    // job (one more attempt, a msg id) does not fit, and publishing it throws.
    const attempts: AttemptSummary[] = Array.from({ length: 400 }, (_, i) => ({ attempt: 1, at: new Date(0).toISOString(), status: 500, error: `status 500 #${i}`, latencyMs: 1 }))
    const job: Job = { eventId: 'evt_bloated', profile: 'acme-p', channel: 'sms', event: 'sms-send', subject: 'callbacks.sms.sms-send', cycle: 1, attempt: 1, notBefore: 0, attempts }
    const headers: MsgHdrs = encodeJob(job)
    const head = JSON.stringify({ id: 'evt_bloated', account: 'acme', data, pad: '' })
    const size = MAX_PAYLOAD - (headers as MsgHdrs & { encode(): Uint8Array }).encode().byteLength - 16
    const body = Buffer.alloc(size, 'y')
    Buffer.from(head.slice(0, -2)).copy(body)
    body.write('"}', size - 2)
    t.ok(encodeSummaries(attempts).length > 16 * 1024, 'a large attempts header')
    await fx.js.publish(jobSubject('fresh', 'acme-p'), body, { headers })
    const entry = await eventually(() => dead('internal_error').then((l) => l.find((e) => e.eventId === 'evt_bloated')), 60_000)
    t.match(entry.detail, /5 times; last error: MAX_PAYLOAD_EXCEEDED/)
    t.equal(ep.requests.filter((r) => r.path === '/acme').length, 5, 'one attempt per failed handling, 5 in all')
    const shown = await showDeadLetter(fx.js, fx.jsm, entry.id)
    t.equal((shown?.event as { id?: string } | undefined)?.id, 'evt_bloated', 'the dead letter keeps the whole event (its attempts header is capped so that it fits)')
    t.ok(shown && shown.attempts.length >= 1, 'with its attempts')
    await eventually(() => streamEmpty(STREAMS.jobs), 20_000)
    await new Promise((r) => setTimeout(r, 2500))
    t.equal(ep.requests.filter((r) => r.path === '/acme').length, 5, 'and no attempt after the dead letter')
  })
})
