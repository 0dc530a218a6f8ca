// A slow or dead endpoint must not slow other profiles down. One run: the fast profile's
// throughput alone, then again while another tenant's endpoint never answers (attempts run
// to their timeout) and a third tenant's endpoint fails fast with many retries waiting.
import { NatsServer } from '../helpers/nats-server'
import { booksEndpoint, createStack, envelopeMsg, natsClient, now, publishAll, settle, smsData, smsProfile, streamsReady, summarize, until, type Check, type Outgoing, type ScenarioResult, type Unit, startedDaemon } from './lib'

export interface IsolationOptions {
  fast: number
  slow: number
  flappy: number
  slowTimeoutMs: number
  slowRetries: number
  /** The daemons' rateLimit.maxConcurrent default (production: 10). */
  maxConcurrent: number
  concurrency: number
}

export async function isolationScenario(o: IsolationOptions): Promise<ScenarioResult> {
  const t0 = Date.now()
  const nats = await NatsServer.start()
  const books = await booksEndpoint((req) => (req.pathname === '/slow' ? { hang: true, hangBeforeHeaders: true } : req.pathname === '/flappy' ? { status: 503 } : {}))
  const url = books.ep.url
  const stack = await createStack({
    servers: [nats.url],
    settings: { delivery: { concurrency: o.concurrency, defaultRateLimit: { perSecond: 5000, maxConcurrent: o.maxConcurrent } } },
    profiles: [
      smsProfile('fast', 'fast', `${url}/fast`),
      smsProfile('slow', 'slow', `${url}/slow`, { retry: { count: o.slowRetries, intervalSeconds: 1, timeoutMs: o.slowTimeoutMs } }),
      smsProfile('flappy', 'flappy', `${url}/flappy`, { retry: { count: 3, intervalSeconds: 2 } }),
    ],
  })
  const client = await natsClient([nats.url])
  const d = stack.daemon()
  const checks: Check[] = []
  try {
    await startedDaemon(d)
    await streamsReady(client.jsm)
    const units: Unit[] = []
    const fastBatch = (tag: string): Outgoing[] =>
      Array.from({ length: o.fast }, (_, i) => {
        units.push({ eventId: `${tag}${i}`, profile: 'fast' })
        return envelopeMsg('sms', 'sms-send', { id: `${tag}${i}`, account: 'fast', data: smsData(i) })
      })
    const fastDone = (tag: string): Promise<number | undefined> =>
      until(() => {
        const got = books.answers.filter((a) => a.ok && a.webhookId.startsWith(tag))
        return new Set(got.map((a) => a.webhookId)).size >= o.fast ? Math.max(...got.map((a) => a.at)) : undefined
      }, o.slowTimeoutMs * 4 + 60_000, 20)

    // A: the fast profile alone.
    const aStart = now()
    await publishAll(client.js, fastBatch('alone'))
    const aEnd = (await fastDone('alone')) ?? now()
    const alone = o.fast / ((aEnd - aStart) / 1000)

    // B: the slow and flappy tenants first, then the same fast batch.
    const hostile: Outgoing[] = []
    for (let i = 0; i < o.slow; i++) {
      hostile.push(envelopeMsg('sms', 'sms-send', { id: `slow${i}`, account: 'slow', data: smsData(i) }))
      units.push({ eventId: `slow${i}`, profile: 'slow', expectDead: 'retries_exhausted' })
    }
    for (let i = 0; i < o.flappy; i++) {
      hostile.push(envelopeMsg('sms', 'sms-send', { id: `flap${i}`, account: 'flappy', data: smsData(i) }))
      units.push({ eventId: `flap${i}`, profile: 'flappy', expectDead: 'retries_exhausted' })
    }
    await publishAll(client.js, hostile)
    await until(() => books.ep.inFlight >= Math.min(o.slow, o.maxConcurrent), 10_000, 20)
    const slowStarted = Math.min(...books.answers.filter((a) => a.req.pathname === '/slow').map((a) => a.req.startedAt))
    const bStart = now()
    await publishAll(client.js, fastBatch('beside'))
    const bEnd = (await fastDone('beside')) ?? now()
    const hangingAtEnd = books.ep.inFlight
    const beside = o.fast / ((bEnd - bStart) / 1000)
    checks.push({ name: `all ${o.fast} fast deliveries finished while the slow endpoint's first attempts still hung (before their ${o.slowTimeoutMs} ms timeout)`, ok: bEnd < slowStarted + o.slowTimeoutMs && hangingAtEnd > 0, detail: `fast done ${Math.round(bEnd - slowStarted)} ms after the first slow attempt began; ${hangingAtEnd} slow requests hanging` })

    const { ledger: l } = await settle(units, [books], client.js, client.jsm, (o.slowTimeoutMs + 1500) * (o.slowRetries + 1) * Math.ceil(o.slow / o.maxConcurrent) + 60_000)
    checks.push({ name: 'the daemon never exited', ok: d.crashes.length === 0 && d.running })
    await d.stop()
    const notes = [
      `fast profile alone: ${alone.toFixed(0)} deliveries/s; beside a never-answering endpoint (${o.slow} events, timeout ${o.slowTimeoutMs / 1000} s, ${o.slowRetries} retries) and a 503 endpoint (${o.flappy} events, 3 retries 2 s apart): ${beside.toFixed(0)} deliveries/s`,
    ]
    return summarize('slow endpoint isolation', o.fast * 2 + o.slow + o.flappy, units, l, d.maxRssKb, t0, checks, notes)
  } finally {
    await stack.close()
    await client.nc.close()
    await books.close()
    await nats.close()
  }
}
