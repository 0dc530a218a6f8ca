// kill -9 of the daemon at random moments while events flow through a fast-path profile,
// a three-way fan-out and a profile whose first attempts fail (retries across kills).
// After each kill the daemon is started again. Nothing may be lost; every duplicate must
// straddle a kill (the daemon died between sending and acking).
import { NatsServer } from '../helpers/nats-server'
import { booksEndpoint, createStack, envelopeMsg, natsClient, now, publishAll, rng, settle, sleep, smsData, smsProfile, streamsReady, summarize, type Check, type Outgoing, type ScenarioResult, type Unit, startedDaemon } from './lib'

export interface CrashOptions {
  events: number
  kills: number
  ratePerSecond: number
  seed?: number
}

export async function crashScenario(o: CrashOptions): Promise<ScenarioResult> {
  const t0 = Date.now()
  const t0Abs = now()
  const random = rng(o.seed ?? 1)
  const nats = await NatsServer.start()
  const firstSeen = new Set<string>()
  const books = await booksEndpoint((_req, id) => {
    // Every 5th event of the flaky profile fails its first attempt.
    const n = Number(/^c(\d+):/.exec(id)?.[1] ?? -1)
    if (id.endsWith(':flaky') && n % 5 === 0 && !firstSeen.has(id)) {
      firstSeen.add(id)
      return { status: 503 }
    }
    return { delayMs: Math.floor(random() * 4) }
  })
  const url = books.ep.url
  const stack = await createStack({
    servers: [nats.url],
    profiles: [
      smsProfile('solo', 'solo', `${url}/solo`),
      smsProfile('fan-a', 'fan', `${url}/fan-a`),
      smsProfile('fan-b', 'fan', `${url}/fan-b`, { method: 'GET', endpoint: `${url}/fan-b?id=<id>&status=<status>` }),
      smsProfile('fan-c', 'fan', `${url}/fan-c`, { format: 'urlencoded' }),
      smsProfile('flaky', 'flaky', `${url}/flaky`, { retry: { count: 3, intervalSeconds: 0.2, timeoutMs: 2000 } }),
    ],
  })
  const client = await natsClient([nats.url])
  const daemon = stack.daemon()
  const kills: Array<{ signalled: number; exited: number }> = []
  const checks: Check[] = []
  try {
    await startedDaemon(daemon)
    await streamsReady(client.jsm)

    const msgs: Outgoing[] = []
    const units: Unit[] = []
    for (let i = 0; i < o.events; i++) {
      const id = `c${i}`
      const kind = i % 3
      const account = kind === 0 ? 'solo' : kind === 1 ? 'fan' : 'flaky'
      msgs.push(envelopeMsg('sms', 'sms-send', { id, account, data: smsData(i) }))
      const profiles = kind === 0 ? ['solo'] : kind === 1 ? ['fan-a', 'fan-b', 'fan-c'] : ['flaky']
      for (const p of profiles) units.push({ eventId: id, profile: p })
    }
    const flowMs = (o.events / o.ratePerSecond) * 1000
    const t0Flow = Date.now()
    const publishing = publishAll(client.js, msgs, { ratePerSecond: o.ratePerSecond })
    // Kills at random moments spread over the flow: one in each slice, somewhere in it.
    const killer = (async () => {
      const slice = flowMs / o.kills
      for (let k = 0; k < o.kills; k++) {
        const at = t0Flow + slice * k + slice * (0.2 + 0.7 * random())
        const wait = at - Date.now()
        if (wait > 0) await sleep(wait)
        const signalled = now()
        await daemon.kill9()
        kills.push({ signalled, exited: now() })
        daemon.start()
        await daemon.started()
      }
    })()
    const pub = await publishing
    await killer
    const { ledger: l } = await settle(units, [books], client.js, client.jsm, 120_000, 1500)

    // Every duplicate must straddle a kill: the delivery was under way (its first request
    // sent) before a daemon died, and a 2xx answer came after the kill began. A request
    // written just before SIGKILL can reach the endpoint's handler well after the exit is
    // seen when the machine is busy (0.9 s at a load of 14), so "sent before the kill" is
    // read off the connection it came on: the killed daemon's connections close with it,
    // within moments of the kill; a live daemon's stay open (keep-alive).
    const byId = books.byId()
    const unexplained: string[] = []
    const diedWith = (closedAt: number | undefined, k: (typeof kills)[number]): boolean => closedAt !== undefined && closedAt >= k.signalled && closedAt < k.exited + 2000
    for (const [id, oks] of l.duplicateIds) {
      const answers = byId.get(id) ?? []
      const first = answers.reduce((a, b) => (b.at < a.at ? b : a))
      const last = oks[oks.length - 1]
      const straddles = (k: (typeof kills)[number]): boolean => last > k.signalled && (first.at < k.exited + 500 || diedWith(first.req.connection.closedAt, k))
      if (!kills.some(straddles)) unexplained.push(`${id} at ${oks.map((x) => Math.round(x - t0Abs)).join('/')} (kills ${kills.map((k) => Math.round(k.signalled - t0Abs)).join('/')}; first on a connection closed at ${first.req.connection.closedAt === undefined ? 'never' : Math.round(first.req.connection.closedAt - t0Abs)})`)
    }
    checks.push({ name: 'every duplicate straddles a kill -9 (died between sending and acking)', ok: unexplained.length === 0, detail: unexplained.slice(0, 5).join(', ') })
    checks.push({ name: `the daemon was killed ${o.kills} times and restarted`, ok: kills.length === o.kills && daemon.starts === o.kills + 1 })
    checks.push({ name: 'no dead letters (every endpoint answers, at worst after one 503)', ok: Object.keys(l.dead).length === 0, detail: JSON.stringify(l.dead) })
    checks.push({ name: 'the daemon never exited on its own', ok: daemon.crashes.length === 0, detail: JSON.stringify(daemon.crashes) })
    await daemon.stop()
    const notes = [`${kills.length} kills, ${pub.stored} events stored, ${units.length} deliveries expected`, `${l.duplicateIds.size} webhook-ids answered twice or more`]
    return summarize('kill -9 daemon', pub.stored, units, l, daemon.maxRssKb, t0, checks, notes)
  } finally {
    await stack.close()
    await client.nc.close()
    await books.close()
    await nats.close()
  }
}
