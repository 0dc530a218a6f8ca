// Endpoint health through the console (issue 17): the list shows each profile's shared state,
// Pause holds the profile's deliveries on JetStream (nothing reaches its endpoint), Resume
// delivers every held event once, and the others keep going. A real daemon, a real
// nats-server, a real endpoint; the console's API as the Pause and Resume buttons call it.
import t from 'tap'
import { eventually, profile } from './helpers/daemon-fixture'
import { startEndpoint } from './helpers/endpoint'
import { heldOf, opsEvents, smsEvent } from './helpers/health'
import { startDaemonConsoles } from './helpers/console-daemons'

const TOKEN = 'console-health-token-0123456789abcdef'
const HELD = 20

t.test('Pause through the console stops deliveries; Resume delivers the held events, each once', async (t) => {
  const ep = await startEndpoint()
  t.teardown(() => ep.close())
  const { fx, consoles } = await startDaemonConsoles(t, { token: TOKEN, daemons: 1, store: 'files', profiles: [profile('acme-paused', `${ep.url}/paused`), profile('acme-other', `${ep.url}/other`)] })
  const [c] = consoles
  const rowOf = async (id: string) => ((await c.api('GET', '/profiles')).body.profiles as Array<{ id: string; state: string; stateReason: string | null }>).find((r) => r.id === id)
  t.match(await rowOf('acme-paused'), { state: 'closed', stateReason: null })

  const paused = await c.api('POST', '/profiles/acme-paused/pause')
  t.same(paused, { status: 200, body: { id: 'acme-paused', state: 'paused', stateReason: 'operator', changed: true } }, 'answers as `profiles pause --json`')
  t.match(await rowOf('acme-paused'), { state: 'paused', stateReason: 'operator' }, 'the list shows the state the daemon holds')
  t.match((await c.api('POST', '/profiles/acme-paused/pause')).body, { state: 'paused', changed: false }, 'a second Pause changes nothing')
  t.match(await c.api('POST', '/profiles/nope/pause'), { status: 404, body: { code: 'CONSOLE_PROFILE_NOT_FOUND' } })

  for (let i = 0; i < HELD; i++) await fx.publish('sms', 'sms-send', smsEvent(`held-${i}`, 'acme-paused'))
  await fx.publish('sms', 'sms-send', smsEvent('other-1', 'acme-other'))
  await eventually(async () => (await heldOf(fx.jsm, 'acme-paused')) === HELD, 20_000, 100)
  await ep.waitFor(1, 15_000)
  const to = (path: string) => ep.requests.filter((r) => r.pathname === path)
  t.equal(to('/paused').length, 0, `paused: none of the ${HELD} events reached its endpoint`)
  t.equal(to('/other').length, 1, 'another profile kept delivering')

  const resumed = await c.api('POST', '/profiles/acme-paused/resume')
  t.same(resumed.body, { id: 'acme-paused', state: 'closed', stateReason: null, changed: true })
  await eventually(() => to('/paused').length >= HELD, 30_000, 100)
  await eventually(async () => (await heldOf(fx.jsm, 'acme-paused')) === 0, 10_000, 100)
  const ids = to('/paused').map((r) => String(r.headers['webhook-id']))
  t.equal(ids.length, HELD, 'every held event was delivered after Resume…')
  t.equal(new Set(ids).size, HELD, '…each once')
  t.match(await rowOf('acme-paused'), { state: 'closed' })

  const ops = await opsEvents(fx.jsm)
  t.match(ops.find((e) => e.subject === 'callback-router.ops.profile.paused')?.body, { profile: 'acme-paused', event: 'paused', reason: 'operator' }, 'the pause was announced as the CLI announces it')
  t.match(ops.find((e) => e.subject === 'callback-router.ops.profile.resumed')?.body, { profile: 'acme-paused', event: 'resumed', reason: 'operator' })
})
