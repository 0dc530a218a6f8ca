// Held events are kept by JetStream, not by a daemon: a paused profile's held events survive
// kill -9 of every daemon (two daemon processes, killed twice: once while they are holding,
// once with everything held) and `resume` then delivers each exactly once. Held longer than
// `holdHours` (a fractional hour: seconds), they become held_expired dead letters, announced
// on callback-router.ops.profile.held_expired, which `dead-letters replay` sends once.
// Real nats-server, real endpoints, the real CLI; waits are on conditions, never on sleeps.
import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import type { JetStreamManager } from 'nats'
import { DaemonProcess, metricValue, startedDaemon } from './chaos/lib'
import { createFixture, eventually, mergeSettings, profile, runCli } from './helpers/daemon-fixture'
import { startEndpoint } from './helpers/endpoint'
import { assertOpsEvent, heldOf, smsEvent, watchOps } from './helpers/health'
import { freePort, NatsServer } from './helpers/nats-server'
import { listDeadLetters } from '../core/jetstream/dead-letters'
import { STREAMS } from '../core/jetstream/streams'

/** Nothing left to deliver: both work-queue streams are empty (a message leaves only when acked). */
async function drained(jsm: JetStreamManager): Promise<boolean> {
  const [events, jobs] = await Promise.all([jsm.streams.info(STREAMS.events), jsm.streams.info(STREAMS.jobs)])
  return events.state.messages === 0 && jobs.state.messages === 0
}

/** Runs every step, each bounded, whatever the others do: one failing never strands the rest. */
async function teardownAll(steps: Array<() => Promise<unknown> | unknown>): Promise<void> {
  for (const step of steps) {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.resolve().then(step).catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 15_000)))])
    clearTimeout(timer)
  }
}

t.test('held events survive kill -9 of every daemon (twice: mid-hold and all held); resume delivers each exactly once', async (t) => {
  const N = 300
  const ID = 'acme-hold'
  const nats = await NatsServer.start()
  const ep = await startEndpoint()
  // A generous timeout: on a loaded machine (attempts seen at 1.2 s with a 1 s timeout) an
  // attempt that times out after the endpoint got it is retried, and the endpoint sees it
  // twice (at-least-once, not what this tests). ack_wait is 2 × timeout + 5 s: an event a
  // killed daemon had taken comes back 15 s later.
  const f = await createFixture({ nats, logLevel: 'warn', profiles: [profile(ID, `${ep.url}/hook`, { retry: { timeoutMs: 5000 }, rateLimit: { perSecond: 500, maxConcurrent: 16 } })] })
  const daemons: DaemonProcess[] = []
  t.teardown(() =>
    teardownAll([
      ...daemons.map((d) => async () => {
        await d.kill9()
        await d.stop() // clears its memory sampler, which would keep this process alive
      }),
      () => f.close(),
      () => ep.close(),
      () => nats.close(),
    ]),
  )
  // Two daemon processes on one settings file but their own status ports.
  const base = JSON.parse(readFileSync(f.configFile, 'utf8')) as Record<string, unknown>
  for (const n of [1, 2]) {
    const port = await freePort()
    const file = join(f.dir, `daemon-${n}.json`)
    await writeFile(file, JSON.stringify(mergeSettings(base, { status: { enabled: true, host: '127.0.0.1', port } })))
    daemons.push(new DaemonProcess(file, port))
  }
  const startBoth = (): Promise<unknown> => Promise.all(daemons.map((d) => startedDaemon(d)))
  const killBoth = (): Promise<unknown> => Promise.all(daemons.map((d) => d.kill9()))
  const heldSeenByBoth = (): Promise<boolean> =>
    Promise.all(daemons.map((d) => metricValue(d.statusPort!, 'callback_router_held_events', [`profile="${ID}"`]))).then((v) => v.every((x) => x === N))

  // Paused before any daemon runs: each reads the state from CALLBACK_PROFILE_STATE at start.
  const paused = await runCli(['--config', f.configFile, 'profiles', 'pause', ID])
  t.equal(paused.code, 0, paused.stderr)
  await startBoth()

  const publishing = (async () => {
    for (let i = 0; i < N; i++) await f.publish('sms', 'sms-send', smsEvent(`h-${i}`, ID))
  })()
  // First kill: as soon as some are held, while the rest are being held or not yet published.
  const heldAtKill = await eventually(async () => {
    const n = await heldOf(f.jsm, ID)
    return n >= N / 4 ? n : undefined
  }, 30_000, 10)
  await killBoth()
  t.comment(`first kill -9 of both daemons with ${heldAtKill} of ${N} held`)
  await publishing

  await startBoth()
  // Deliveries the killed daemons had taken come back after ack_wait; the hold's msg id (the source message) stores each once.
  await eventually(async () => (await heldOf(f.jsm, ID)) === N && (await f.jsm.streams.info(STREAMS.events)).state.messages === 0, 60_000, 100)
  t.equal(ep.requests.length, 0, 'paused: nothing sent')

  // Second kill: everything held, nothing in flight.
  await killBoth()
  t.equal(await heldOf(f.jsm, ID), N, `all ${N} held with no daemon running`)
  await startBoth()
  // Both restarted daemons have counted the held events (their keepers ticked), still paused.
  await eventually(heldSeenByBoth, 20_000, 100)
  t.equal(ep.requests.length, 0, 'still paused after the restart: nothing sent')

  const resumed = await runCli(['--config', f.configFile, 'profiles', 'resume', ID])
  t.equal(resumed.code, 0, resumed.stderr)
  await eventually(() => new Set(ep.requests.map((r) => r.headers['webhook-id'])).size === N, 60_000, 100)
  await eventually(() => drained(f.jsm), 30_000, 100)
  const ids = ep.requests.map((r) => String(r.headers['webhook-id']))
  t.equal(new Set(ids).size, N, `every one of the ${N} held events delivered`)
  t.equal(ids.length, N, 'each exactly once (no doubles)')
  if (ids.length !== N) {
    const dup = ids.filter((id, i) => ids.indexOf(id) !== i)
    for (const id of dup.slice(0, 3)) t.comment(id, JSON.stringify(ep.requests.filter((r) => r.headers['webhook-id'] === id).map((r) => ({ at: r.startedAt, h: r.headers }))))
    for (const id of dup.slice(0, 3)) t.comment((await runCli(['--config', f.configFile, 'attempts', id.split(':')[0], '--json'])).stdout)
    t.comment(daemons.map((d) => d.output.slice(-3000)).join('\n----\n'))
  }
  t.equal(await heldOf(f.jsm, ID), 0, 'nothing left held')
  t.equal((await f.jsm.streams.info(STREAMS.dead)).state.messages, 0, 'no dead letters')
  t.same(
    daemons.map((d) => d.crashes.length),
    [0, 0],
    'no daemon exited but by kill -9',
  )
})

t.test('held longer than holdHours (0.0005 h = 1.8 s): held_expired dead letters and their ops events; `dead-letters replay` sends each once', async (t) => {
  const K = 5
  const ID = 'acme-expire'
  const ep = await startEndpoint()
  const f = await createFixture({ profiles: [profile(ID, `${ep.url}/expire`, { health: { holdHours: 0.0005 } })] })
  t.teardown(() => teardownAll([() => f.close(), () => ep.close()]))
  const ops = watchOps(f.nc, 'held_expired')
  const paused = await runCli(['--config', f.configFile, 'profiles', 'pause', ID])
  t.equal(paused.code, 0, paused.stderr)
  await f.start()
  for (let i = 0; i < K; i++) await f.publish('sms', 'sms-send', smsEvent(`x-${i}`, ID))

  const dead = await eventually(async () => {
    const rows = (await listDeadLetters(f.js, f.jsm, { reason: 'held_expired' })).filter((d) => d.profile === ID)
    return rows.length === K ? rows : undefined
  }, 30_000, 100)
  t.same(dead.map((d) => d.eventId).sort(), Array.from({ length: K }, (_, i) => `x-${i}`).sort(), 'one held_expired dead letter per event')
  for (const d of dead) t.match(d.detail, /held more than 0\.0005 hours while profile "acme-expire" was paused/)
  t.equal(await heldOf(f.jsm, ID), 0, 'nothing held any more')
  t.equal(ep.requests.length, 0, 'nothing was sent while paused')

  // The ops events follow the dead letters (one per sweep): wait until they account for all K.
  const bodies = await eventually(() => (ops.reduce((n, e) => n + Number(e.body.held), 0) >= K ? ops : undefined), 15_000, 50)
  for (const e of bodies) assertOpsEvent(t, e, { profile: ID, account: 'acme', event: 'held_expired', reason: 'hold_hours' })
  t.equal(bodies.reduce((n, e) => n + Number(e.body.held), 0), K, '`held` counts the expired deliveries, K in all')
  t.ok(bodies.every((e) => Number(e.body.held) > 0), 'an ops event only when something expired')

  // The endpoint is fixed: resume, then replay the dead letters through the real CLI.
  const resumed = await runCli(['--config', f.configFile, 'profiles', 'resume', ID])
  t.equal(resumed.code, 0, resumed.stderr)
  const replay = await runCli(['--config', f.configFile, 'dead-letters', 'replay', '--all', '--reason', 'held_expired', '--json'])
  t.equal(replay.code, 0, replay.stderr)
  const replayed = JSON.parse(replay.stdout) as Array<{ eventId: string; profile: string; via: string }>
  t.equal(replayed.length, K, 'every held_expired dead letter replayed')
  t.ok(replayed.every((r) => r.profile === ID && r.via === 'job'), 'as deliveries to the profile')

  await eventually(() => new Set(ep.requests.map((r) => r.headers['webhook-id'])).size === K, 20_000, 50)
  await eventually(() => drained(f.jsm), 20_000, 100)
  const ids = ep.requests.map((r) => String(r.headers['webhook-id'])).sort()
  t.same(ids, Array.from({ length: K }, (_, i) => `x-${i}:${ID}`).sort(), 'each replayed event arrived once')
  t.equal((await listDeadLetters(f.js, f.jsm, { reason: 'held_expired' })).length, 0, 'the replayed dead letters left the list')
})
