import t from 'tap'
import { connect } from 'nats'
import { NatsServer } from './helpers/nats-server'

t.test('the helper runs a real JetStream server that keeps its store across a restart', async (t) => {
  const server = await NatsServer.start()
  t.teardown(() => server.close())
  let nc = await connect({ servers: server.url })
  const jsm = await nc.jetstreamManager()
  await jsm.streams.add({ name: 'HELPER_TEST', subjects: ['helper.>'] })
  const js = nc.jetstream()
  await js.publish('helper.a', new TextEncoder().encode('one'))
  await nc.close()

  await server.kill()
  t.notOk(server.running, 'killed')
  await server.start()
  nc = await connect({ servers: server.url })
  const info = await (await nc.jetstreamManager()).streams.info('HELPER_TEST')
  t.equal(info.state.messages, 1, 'the message survived kill -9 and restart')
  await nc.close()
})

t.test('max_payload is configurable', async (t) => {
  const server = await NatsServer.start({ maxPayload: 200 * 1024 })
  t.teardown(() => server.close())
  const nc = await connect({ servers: server.url })
  t.equal(nc.info?.max_payload, 200 * 1024)
  await nc.close()
})
