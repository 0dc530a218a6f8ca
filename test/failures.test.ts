// The bookkeeping of the internal_error rule, without NATS: which errors count against a
// message, and that failures are counted per message (stream and sequence).
import t from 'tap'
import type { JsMsg } from 'nats'
import { HandlingFailures, MAX_HANDLING_FAILURES, isTransient } from '../core/daemon/failures'

/** What HandlingFailures reads of a message: its stream and sequence. */
const msg = (stream: string, seq: number): JsMsg => ({ info: { stream }, seq }) as unknown as JsMsg

t.test('NATS away or not ready is transient; anything else counts against the message', async (t) => {
  const table: Array<[unknown, boolean]> = [
    [{ code: 'TIMEOUT' }, true],
    [{ code: 'DISCONNECT' }, true],
    [{ code: 'CONNECTION_CLOSED' }, true],
    [{ code: 'CONNECTION_DRAINING' }, true],
    [{ code: '503' }, true],
    [{ code: 'MAX_PAYLOAD_EXCEEDED' }, false],
    [{ code: 'JOB_HEADERS' }, false],
    [new TypeError('x is undefined'), false],
    ['a thrown string', false],
    [null, false],
  ]
  for (const [e, want] of table) t.equal(isTransient(e), want, JSON.stringify(e))
})

t.test('failures are counted per message, up to the limit, and forgotten on success', async (t) => {
  const f = new HandlingFailures()
  const a = msg('CALLBACK_JOBS', 7)
  const sameSeqOtherStream = msg('CALLBACK_EVENTS', 7)
  for (let i = 1; i <= MAX_HANDLING_FAILURES; i++) t.equal(f.fail(a, `boom ${i}`), i)
  t.same(f.get(a), { count: MAX_HANDLING_FAILURES, lastError: `boom ${MAX_HANDLING_FAILURES}` }, 'the last error is kept for the dead letter')
  t.equal(f.get(sameSeqOtherStream), undefined, 'another stream\'s message of the same sequence is another message')
  t.equal(f.get(msg('CALLBACK_JOBS', 7))?.count, MAX_HANDLING_FAILURES, 'a redelivery of the same message finds its count')
  f.forget(a)
  t.equal(f.get(a), undefined)
  t.equal(f.size, 0)
})

t.test('the number of messages tracked is bounded: the oldest are forgotten first', async (t) => {
  const f = new HandlingFailures()
  for (let i = 1; i <= 10_050; i++) f.fail(msg('CALLBACK_EVENTS', i), 'x')
  t.equal(f.size, 10_000)
  t.equal(f.get(msg('CALLBACK_EVENTS', 1)), undefined)
  t.equal(f.get(msg('CALLBACK_EVENTS', 10_050))?.count, 1)
})
