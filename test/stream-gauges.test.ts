// callback_router_stream_messages{stream}: what each stream holds, read from NATS.
import t from 'tap'
import { createFixture, eventually, profile } from './helpers/daemon-fixture'

t.test('stream gauges report the messages each stream holds: three dead letters, no event left', async (t) => {
  const fx = await createFixture({ profiles: [profile('gauged', 'http://127.0.0.1:9/hook')] })
  t.teardown(() => fx.close())
  const daemon = await fx.start()
  for (const i of [1, 2, 3]) await fx.publish('sms', 'sms-send', `not json ${i}`, `bad_${i}`)
  const read = async (): Promise<Record<string, number>> => {
    const metric = (await daemon.metrics.getMetricsAsJSON()).find((m) => m.name === 'callback_router_stream_messages')
    return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.stream), v.value]))
  }
  const values = await eventually(async () => {
    const v = await read()
    return v.CALLBACK_DEAD === 3 ? v : undefined
  }, 30_000, 250)
  t.equal(values.CALLBACK_DEAD, 3, 'three dead letters')
  t.equal(values.CALLBACK_EVENTS, 0, 'the events were taken off the work queue')
  t.equal(values.CALLBACK_JOBS, 0)
  t.notOk('CALLBACK_OPS' in values && values.CALLBACK_OPS !== 0, 'no ops events')
})
