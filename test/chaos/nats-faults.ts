// NATS goes away under the daemon: a single server stopped and started again on the same
// store, and a three-node cluster (R3 streams) with one node killed -9 and brought back
// while two daemons, connected to different nodes, share the work.
import { NatsServer, startCluster } from '../helpers/nats-server'
import { booksEndpoint, createStack, envelopeMsg, natsClient, now, publishAll, readyz, settle, sleep, smsData, smsProfile, streamsReady, summarize, until, type Check, type DaemonProcess, type Outgoing, type ScenarioResult, type Unit, startedDaemon } from './lib'

function flow(events: number, prefix: string): { msgs: Outgoing[]; units: Unit[] } {
  const msgs: Outgoing[] = []
  const units: Unit[] = []
  for (let i = 0; i < events; i++) {
    const id = `${prefix}${i}`
    const fan = i % 2 === 1
    msgs.push(envelopeMsg('sms', 'sms-send', { id, account: fan ? 'fan' : 'solo', data: smsData(i) }))
    for (const p of fan ? ['fan-a', 'fan-b'] : ['solo']) units.push({ eventId: id, profile: p })
  }
  return { msgs, units }
}

function profiles(url: string): Array<Record<string, unknown>> {
  return [smsProfile('solo', 'solo', `${url}/solo`), smsProfile('fan-a', 'fan', `${url}/fan-a`), smsProfile('fan-b', 'fan', `${url}/fan-b`)]
}

/** Samples /readyz every 100 ms: the transitions, as [ms since start, state]. */
function watchReady(port: number, t0: number): { transitions: Array<[number, string]>; stop: () => Promise<void> } {
  const transitions: Array<[number, string]> = []
  let running = true
  const loop = (async () => {
    let last = ''
    while (running) {
      const r = await readyz(port)
      const s = r === undefined ? 'no answer' : r ? 'ready' : 'not ready'
      if (s !== last) transitions.push([Math.round(now() - t0), (last = s)])
      await sleep(100)
    }
  })()
  return {
    transitions,
    stop: async () => {
      running = false
      await loop
    },
  }
}

export async function natsRestartScenario(o: { events: number; ratePerSecond: number; outageMs: number }): Promise<ScenarioResult> {
  const t0 = Date.now()
  const t0Abs = now()
  const nats = await NatsServer.start()
  const books = await booksEndpoint()
  const stack = await createStack({ servers: [nats.url], profiles: profiles(books.ep.url) })
  const client = await natsClient([nats.url])
  const daemon = stack.daemon()
  const checks: Check[] = []
  try {
    await startedDaemon(daemon)
    await streamsReady(client.jsm)
    const { msgs, units } = flow(o.events, 'n')
    const watch = watchReady(stack.statusPort, t0Abs)
    const publishing = publishAll(client.js, msgs, { ratePerSecond: o.ratePerSecond })
    await sleep((o.events / o.ratePerSecond) * 1000 * 0.4)
    const stoppedAt = Math.round(now() - t0Abs)
    await nats.stop()
    await sleep(o.outageMs)
    await nats.start()
    const startedAt = Math.round(now() - t0Abs)
    const pub = await publishing
    const back = await until(async () => (await readyz(stack.statusPort)) === true, 60_000)
    const { ledger: l } = await settle(units, [books], client.js, client.jsm, 60_000)
    await watch.stop()
    const tr = watch.transitions
    const down = tr.find(([at, s]) => s === 'not ready' && at >= stoppedAt)
    const up = tr.find(([at, s]) => s === 'ready' && down && at > down[0])
    checks.push({ name: '/readyz reports the outage (503) while NATS is down', ok: !!down, detail: JSON.stringify(tr) })
    checks.push({ name: '/readyz reports the recovery (200) by itself, without a daemon restart', ok: !!up && !!back && daemon.starts === 1, detail: JSON.stringify(tr) })
    checks.push({ name: 'the daemon never exited', ok: daemon.crashes.length === 0 && daemon.running, detail: JSON.stringify(daemon.crashes) })
    checks.push({ name: 'no dead letters', ok: Object.keys(l.dead).length === 0, detail: JSON.stringify(l.dead) })
    await daemon.stop()
    const notes = [`NATS stopped at ${stoppedAt} ms, started at ${startedAt} ms; /readyz: ${tr.map(([at, s]) => `${s}@${at}ms`).join(' → ')}`, `publisher retried ${pub.retries} publishes during the outage`]
    return summarize('NATS restart', pub.stored, units, l, daemon.maxRssKb, t0, checks, notes)
  } finally {
    await stack.close()
    await client.nc.close()
    await books.close()
    await nats.close()
  }
}

async function startDaemon(d: DaemonProcess, tries = 5): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (!d.running) d.start()
    if (await d.started(20_000)) return
    await d.kill9()
  }
  throw new Error(`daemon did not start:\n${d.output.slice(-3000)}`)
}

export async function clusterScenario(o: { events: number; ratePerSecond: number; downMs: number }): Promise<ScenarioResult> {
  const t0 = Date.now()
  const nodes = await startCluster(3)
  const books = await booksEndpoint()
  const urls = nodes.map((n) => n.url)
  let client: Awaited<ReturnType<typeof natsClient>>
  try {
    client = await natsClient([urls[2], urls[1], urls[0]])
  } catch (e) {
    await books.close()
    for (const n of nodes) await n.close()
    throw e
  }
  // JetStream needs its meta leader before an R3 stream can be created.
  await until(async () => {
    try {
      await client.jsm.getAccountInfo()
      return true
    } catch {
      return false
    }
  }, 30_000, 200)
  const stacks = await Promise.all([0, 1].map((i) => createStack({ servers: [urls[i]], settings: { nats: { replicas: 3 } }, profiles: profiles(books.ep.url) })))
  const daemons = stacks.map((s) => s.daemon())
  const checks: Check[] = []
  try {
    await startDaemon(daemons[0])
    await startDaemon(daemons[1])
    await streamsReady(client.jsm)
    const replicas = await until(() => client.jsm.streams.info('CALLBACK_EVENTS').then((i) => i.config.num_replicas, () => 0), 20_000, 200)
    checks.push({ name: 'CALLBACK_EVENTS has 3 replicas', ok: replicas === 3, detail: String(replicas) })
    const { msgs, units } = flow(o.events, 'k')
    const publishing = publishAll(client.js, msgs, { ratePerSecond: o.ratePerSecond })
    await sleep((o.events / o.ratePerSecond) * 1000 * 0.35)
    await nodes[0].kill()
    await sleep(o.downMs)
    await nodes[0].start()
    const pub = await publishing
    const { ledger: l } = await settle(units, [books], client.js, client.jsm, 90_000)
    checks.push({ name: 'both daemons stayed up through the node failure', ok: daemons.every((d) => d.crashes.length === 0 && d.running), detail: JSON.stringify(daemons.map((d) => d.crashes)) })
    const share = await Promise.all(stacks.map(async (s) => (await readyz(s.statusPort)) === true))
    checks.push({ name: 'both daemons are ready again after the node came back', ok: share.every(Boolean) })
    checks.push({ name: 'no dead letters', ok: Object.keys(l.dead).length === 0, detail: JSON.stringify(l.dead) })
    for (const d of daemons) await d.stop()
    const notes = [`node n1 (daemon A's server) killed -9 for ${o.downMs} ms mid-flow; publisher retried ${pub.retries} publishes`]
    return summarize('NATS cluster node kill -9', pub.stored, units, l, Math.max(...daemons.map((d) => d.maxRssKb)), t0, checks, notes)
  } finally {
    for (const s of stacks) await s.close()
    await client.nc.close()
    await books.close()
    for (const n of nodes) await n.close()
  }
}
