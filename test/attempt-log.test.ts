// The attempt log as the daemon writes it: records published at the end of the turn that
// made them (with no flush of their own), read back by event, deduplicated by their
// Nats-Msg-Id, whichever way their headers were encoded.
import t from 'tap'
import { connect, nanos, type JsMsg } from 'nats'
import { AckBatch, EndOfTurn } from '../core/jetstream/ack-batch'
import { AttemptLog, endOfTurnWriters, readAttempts, type AttemptRecord } from '../core/jetstream/attempt-log'
import { STREAMS, SUBJECTS } from '../core/jetstream/streams'
import { NatsServer, natsForTest } from './helpers/nats-server'
import { pino } from 'pino'

const record = (eventId: string, profile: string, attempt: number, status: number | null = 200): AttemptRecord => ({ eventId, profile, cycle: 1, attempt, at: '2026-11-27T12:00:00.123Z', status, error: status === 200 ? null : 'status 503', latencyMs: 4 })

t.test('records go out at the end of the turn, read back per event in order, and a record sent twice is stored once', async (t) => {
  const { nc, jsm, js } = await natsForTest(t)
  await jsm.streams.add({ name: STREAMS.attempts, subjects: [`${SUBJECTS.attempts}.>`], duplicate_window: nanos(60_000) })
  const { attemptLog, acks } = endOfTurnWriters(nc, pino({ level: 'silent' }))
  t.ok(acks, 'the ack batch shares the turn')

  attemptLog.record(record('evt-a', 'shop', 1, 503))
  attemptLog.record(record('evt-b', 'shop', 1))
  attemptLog.record(record('evt-a', 'shop', 2))
  // A profile id that is not plain (not one the schema allows, but the log must not care).
  attemptLog.record(record('evt-c', 'odd id', 1))
  await new Promise((r) => setImmediate(r))
  await nc.flush()
  t.same((await readAttempts(js, jsm, 'evt-a')).map((r) => [r.attempt, r.status]), [[1, 503], [2, 200]], "evt-a's two attempts, in order")
  t.same(await readAttempts(js, jsm, 'evt-b'), [record('evt-b', 'shop', 1)], 'evt-b exactly as recorded')
  t.same(await readAttempts(js, jsm, 'evt-c'), [record('evt-c', 'odd id', 1)], 'a record whose id needs header escaping')

  // The same attempt again (a redelivery after a crash that came back with the same
  // attempt number): one record, plain ids or not.
  attemptLog.record(record('evt-b', 'shop', 1))
  attemptLog.record(record('evt-c', 'odd id', 1))
  await attemptLog.close()
  t.equal((await readAttempts(js, jsm, 'evt-b')).length, 1, 'deduplicated by Nats-Msg-Id')
  t.equal((await readAttempts(js, jsm, 'evt-c')).length, 1, 'deduplicated by Nats-Msg-Id (nats.js headers)')
  const stored = await jsm.streams.getMessage(STREAMS.attempts, { last_by_subj: `${SUBJECTS.attempts}.evt-b` })
  t.equal(stored.header.get('Nats-Msg-Id'), 'evt-b:shop:1:1', 'the stored header is the record id')
})

t.test('a record that cannot be sent is logged, not thrown into the delivery', async (t) => {
  const nats = await NatsServer.start()
  t.teardown(() => nats.close())
  const nc = await connect({ servers: nats.url })
  const lines: string[] = []
  const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) })
  const log = new AttemptLog(nc, { logger })
  await nc.close()
  t.doesNotThrow(() => log.record(record('evt-z', 'shop', 1)))
  await new Promise((r) => setImmediate(r))
  t.match(lines.join(''), /attempt log records could not be sent: NATS is closed/)
  await log.close()
})

t.test('a record NATS refuses (larger than max_payload) is logged and the rest of its turn still goes out', async (t) => {
  const nats = await NatsServer.start({ maxPayload: 4096 })
  t.teardown(() => nats.close())
  const nc = await connect({ servers: nats.url })
  t.teardown(() => nc.close())
  const jsm = await nc.jetstreamManager()
  await jsm.streams.add({ name: STREAMS.attempts, subjects: [`${SUBJECTS.attempts}.>`], duplicate_window: nanos(60_000) })
  const lines: string[] = []
  const log = new AttemptLog(nc, { logger: pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) }) })
  log.record(record('evt-1', 'shop', 1))
  log.record({ ...record('evt-2', 'shop', 1, 500), error: 'x'.repeat(10_000) })
  log.record(record('evt-3', 'shop', 1))
  await log.close()
  const js = nc.jetstream()
  t.equal((await readAttempts(js, jsm, 'evt-1')).length, 1, 'the record before it')
  t.equal((await readAttempts(js, jsm, 'evt-2')).length, 0, 'the refused one')
  t.equal((await readAttempts(js, jsm, 'evt-3')).length, 1, 'the record after it')
  t.match(lines.join(''), /"failed":1.*attempt log records could not be sent/)
})

t.test("an ack that nats.js refuses (connection closed) ends the turn quietly and later turns still ack", async (t) => {
  const turn = new EndOfTurn()
  const acks = new AckBatch(turn)
  const acked: string[] = []
  const msg = (id: string, fails: boolean): JsMsg => ({ ack: () => (fails ? (() => { throw new Error('CONNECTION_CLOSED') })() : void acked.push(id)) }) as unknown as JsMsg
  acks.ack(msg('a', true))
  acks.ack(msg('b', true))
  t.doesNotThrow(() => turn.run(), 'the turn does not throw')
  acks.ack(msg('c', false))
  await new Promise((r) => setImmediate(r))
  t.same(acked, ['c'], 'the next turn acks')
})
