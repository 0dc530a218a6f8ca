// An endpoint down for a while under load, then back (issue 17, DESIGN "Endpoint health"):
// tenant A's endpoint refuses connections and answers 500 for `downSeconds` while A's events
// keep coming; with the breaker on, A's deliveries are held on JetStream, not used up into
// dead letters, and when the endpoint is back a probe closes the breaker and every held
// event is delivered: lost 0, dead letters 0. Tenant B's throughput is measured alone and
// then beside the dead endpoint, in the same run.
import { heldCounts } from '../../core/jetstream/held-jobs'
import { STREAMS } from '../../core/jetstream/streams'
import { envelopeMsg, now, publishAll, settle, sleep, smsData, smsProfile, summarize, until, withRig, type Check, type Outgoing, type ScenarioResult, type Unit } from './lib'

export interface EndpointDownOptions {
  /** How long A's endpoint is down. */
  downSeconds: number
  /** A's events per second, published for the whole time it is down. */
  aRatePerSecond: number
  /** B's events per measurement (alone, then beside), published as fast as NATS takes them. */
  bEvents: number
  /** B's batch beside the dead endpoint starts this long after A went down (the breaker is open by then). */
  besideAfterSeconds: number
  breakerFailures: number
  breakerOpenSeconds: number
}

export async function endpointDownScenario(o: EndpointDownOptions): Promise<ScenarioResult> {
  const t0 = Date.now()
  let down = false
  const health = { breakerFailures: o.breakerFailures, breakerOpenSeconds: o.breakerOpenSeconds }
  return withRig(
    {
      // Down: every other request's connection is reset (what a refused or crashed host looks like), the rest get 500.
      decide: (req) => (req.pathname === '/a' && down ? (req.index % 2 ? { drop: true } : { status: 500, body: 'down' }) : {}),
      profiles: (url) => [
        smsProfile('tenant-a', 'a', `${url}/a`, { retry: { count: 3, intervalSeconds: 2 }, health }),
        smsProfile('tenant-b', 'b', `${url}/b`, { retry: { count: 3, intervalSeconds: 2 }, health }),
      ],
    },
    async ({ books, client, d }) => {
      const checks: Check[] = []
      const units: Unit[] = []
      const event = (tenant: 'a' | 'b', id: string, i: number): Outgoing => {
        units.push({ eventId: id, profile: `tenant-${tenant}` })
        return envelopeMsg('sms', 'sms-send', { id, account: tenant, data: smsData(i) })
      }
      const bBatch = async (tag: string, n = o.bEvents): Promise<{ perSecond: number; doneAt: number }> => {
        const start = now()
        await publishAll(client.js, Array.from({ length: n }, (_, i) => event('b', `${tag}${i}`, i)))
        const doneAt = (await until(() => {
          const got = books.answers.filter((a) => a.ok && a.webhookId.startsWith(tag))
          return new Set(got.map((a) => a.webhookId)).size >= n ? Math.max(...got.map((a) => a.at)) : undefined
        }, 120_000, 20)) ?? now()
        return { perSecond: n / ((doneAt - start) / 1000), doneAt }
      }

      // B alone (after a warm-up batch: the first requests pay for connections and JIT).
      await bBatch('b-warm-', Math.min(200, o.bEvents))
      const alone = await bBatch('b-alone-')

      // A goes down; A's events keep coming the whole time, B's batch runs beside them.
      down = true
      const downAt = now()
      const upAt = downAt + o.downSeconds * 1000
      let aCount = 0
      const aMsgs = Array.from({ length: Math.round(o.downSeconds * o.aRatePerSecond) }, (_, i) => event('a', `a-${i}`, i))
      const aPublishing = publishAll(client.js, aMsgs, { ratePerSecond: o.aRatePerSecond, concurrency: 4, onProgress: (n) => (aCount = n) })
      let heldPeak = 0
      let sampling = true
      const sampler = (async () => {
        while (sampling) {
          heldPeak = Math.max(heldPeak, (await heldCounts(client.jsm).catch(() => new Map<string, number>())).get('tenant-a') ?? 0)
          await sleep(250)
        }
      })()
      await sleep(o.besideAfterSeconds * 1000)
      const beside = await bBatch('b-beside-')
      checks.push({ name: `all ${o.bEvents} of B's events beside the dead endpoint delivered while it was still down`, ok: beside.doneAt < upAt, detail: `done ${Math.round(beside.doneAt - downAt)} ms after A went down, ${o.downSeconds * 1000} ms down` })
      await aPublishing
      if (now() < upAt) await sleep(upAt - now())
      const aRequestsWhileDown = books.answers.filter((a) => a.req.pathname === '/a').length
      down = false
      const recoveredAt = now()

      // The next probe finds the endpoint back. Open times double from breakerOpenSeconds, so
      // the one running when it came back is shorter than downSeconds + breakerOpenSeconds.
      await settle(units, [books], client.js, client.jsm, (o.downSeconds + o.breakerOpenSeconds) * 1000 + 60_000, 0)
      sampling = false
      await sampler
      const aDelivered = books.answers.filter((a) => a.ok && a.req.pathname === '/a')
      const lastA = aDelivered.length ? Math.max(...aDelivered.map((a) => a.at)) : recoveredAt
      const after = await bBatch('b-after-')
      const { ledger: l } = await settle(units, [books], client.js, client.jsm, 30_000)
      const ops = await client.jsm.streams.info(STREAMS.ops, { subjects_filter: '>' })
      const opsCount = (e: string): number => ops.state.subjects?.[`callback-router.ops.profile.${e}`] ?? 0
      checks.push({ name: "dead letters = 0: A's deliveries were held while its endpoint was down, not used up", ok: Object.keys(l.dead).length === 0, detail: JSON.stringify(l.dead) })
      checks.push({ name: "A's events were held on JetStream while the breaker was open", ok: heldPeak > 0, detail: `peak ${heldPeak} held` })
      checks.push({ name: 'the breaker opened while A was down and closed after it came back', ok: opsCount('breaker_opened') >= 1 && opsCount('breaker_closed') >= 1, detail: `opened ${opsCount('breaker_opened')}, closed ${opsCount('breaker_closed')}` })
      checks.push({ name: 'the daemon never exited', ok: d.crashes.length === 0 && d.running })
      await d.stop()
      const pct = (x: number): string => `${((100 * x) / alone.perSecond).toFixed(0)} %`
      const notes = [
        `tenant B alone: ${alone.perSecond.toFixed(0)} deliveries/s; beside tenant A's dead endpoint: ${beside.perSecond.toFixed(0)} deliveries/s (${pct(beside.perSecond)} of alone); alone again after A recovered: ${after.perSecond.toFixed(0)} deliveries/s (${pct(after.perSecond)}); ${o.bEvents} events each`,
        `tenant A: ${aCount} events at ${o.aRatePerSecond}/s while its endpoint was down ${o.downSeconds} s (connection resets and 500s); ${aRequestsWhileDown} requests reached it while down (breakerFailures ${o.breakerFailures}, then probes from ${o.breakerOpenSeconds} s, doubling); peak ${heldPeak} held`,
        `after the endpoint came back: all of A delivered ${((lastA - recoveredAt) / 1000).toFixed(1)} s later; ops events: breaker_opened ${opsCount('breaker_opened')}, breaker_closed ${opsCount('breaker_closed')}`,
      ]
      return summarize('endpoint down', units.length, units, l, d.maxRssKb, t0, checks, notes)
    },
  )
}
