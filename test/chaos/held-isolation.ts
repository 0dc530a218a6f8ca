// Held events must not hold up anyone else (issue 17): one profile paused with `held` events
// held on JetStream (100,000 at full size) while another profile's throughput is measured,
// against the same profile's throughput with nothing held, in the same run. Then the paused
// profile is resumed and every held event is delivered (the books: lost 0, dead letters 0).
// A measurement, in `npm run chaos` only (CHAOS_ONLY=held-isolation; CHAOS_HELD=n for another size).
import { sampleProc } from '../../bench/proc'
import { heldCounts } from '../../core/jetstream/held-jobs'
import { STREAMS } from '../../core/jetstream/streams'
import { runCli } from '../helpers/daemon-fixture'
import { envelopeMsg, metricValue, now, publishAll, settle, sleep, smsData, smsProfile, summarize, until, withRig, type Check, type Outgoing, type ScenarioResult, type Unit } from './lib'

export interface HeldIsolationOptions {
  /** Events held by the paused profile. */
  held: number
  /** The busy profile's events per measurement. */
  busy: number
  /** How long the daemon and nats-server sit with everything held, for their CPU. */
  idleSeconds: number
}

export async function heldIsolationScenario(o: HeldIsolationOptions): Promise<ScenarioResult> {
  const t0 = Date.now()
  return withRig({ profiles: (url) => [smsProfile('paused', 'p', `${url}/paused`), smsProfile('busy', 'b', `${url}/busy`)] }, async ({ nats, books, stack, client, d }) => {
    const checks: Check[] = []
    const units: Unit[] = []
    const event = (profile: 'paused' | 'busy', id: string, i: number): Outgoing => {
      units.push({ eventId: id, profile })
      return envelopeMsg('sms', 'sms-send', { id, account: profile === 'busy' ? 'b' : 'p', data: smsData(i) })
    }
    const busyBatch = async (tag: string, n = o.busy): Promise<number> => {
      const start = now()
      await publishAll(client.js, Array.from({ length: n }, (_, i) => event('busy', `${tag}${i}`, i)), { concurrency: 64 })
      const doneAt = (await until(() => {
        const got = books.answers.filter((a) => a.ok && a.webhookId.startsWith(tag))
        return new Set(got.map((a) => a.webhookId)).size >= n ? Math.max(...got.map((a) => a.at)) : undefined
      }, 300_000, 20)) ?? now()
      return n / ((doneAt - start) / 1000)
    }
    const cli = async (...args: string[]): Promise<void> => {
      const r = await runCli(['--config', stack.configFile, ...args])
      if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`)
    }
    const cpu = (pid: number | undefined): number => (pid ? sampleProc(pid).cpuSeconds : 0)
    const held = async (): Promise<number> => (await heldCounts(client.jsm)).get('paused') ?? 0

    await busyBatch('warm-', Math.min(1000, o.busy))
    // Two batches each way: the machine's other load moves single figures by tens of percent.
    const alone = [await busyBatch('alone1-'), await busyBatch('alone2-')]

    // Pause, and wait until the daemon has seen it (its gauge), before the paused profile's events come.
    await cli('profiles', 'pause', 'paused')
    await until(async () => (await metricValue(stack.statusPort, 'callback_router_profile_state', ['profile="paused"', 'state="paused"'])) === 1, 30_000, 100)
    const fillStart = now()
    const published = await publishAll(client.js, Array.from({ length: o.held }, (_, i) => event('paused', `held-${i}`, i)), { concurrency: 64 })
    const publishSeconds = (now() - fillStart) / 1000
    const filled = await until(async () => ((await held()) >= o.held && (await client.jsm.streams.info(STREAMS.events)).state.messages === 0 ? true : undefined), 900_000, 500)
    const fillSeconds = (now() - fillStart) / 1000
    const heldNow = await held()
    checks.push({ name: `all ${o.held} of the paused profile's events held, none sent`, ok: !!filled && heldNow === o.held && !books.answers.some((a) => a.req.pathname === '/paused'), detail: `${heldNow} held` })

    // Sitting with everything held: what do the daemon and nats-server spend?
    const c0 = { daemon: cpu(d.pid), nats: cpu(nats.pid), at: now() }
    await sleep(o.idleSeconds * 1000)
    const idle = (now() - c0.at) / 1000
    const daemonIdle = (100 * (cpu(d.pid) - c0.daemon)) / idle
    const natsIdle = (100 * (cpu(nats.pid) - c0.nats)) / idle

    const beside = [await busyBatch('beside1-'), await busyBatch('beside2-')]
    const heldDuring = await held()
    checks.push({ name: `the busy profile's batch went through with ${o.held} held beside it`, ok: heldDuring === o.held, detail: `${heldDuring} held after the batch` })

    const resumeAt = now()
    await cli('profiles', 'resume', 'paused')
    await settle(units, [books], client.js, client.jsm, 900_000, 0)
    const delivered = books.answers.filter((a) => a.ok && a.req.pathname === '/paused')
    const drainSeconds = ((delivered.length ? Math.max(...delivered.map((a) => a.at)) : now()) - resumeAt) / 1000
    const after = await busyBatch('after-')
    const { ledger: l } = await settle(units, [books], client.js, client.jsm, 30_000)
    checks.push({ name: 'dead letters = 0', ok: Object.keys(l.dead).length === 0, detail: JSON.stringify(l.dead) })
    checks.push({ name: 'the daemon never exited', ok: d.crashes.length === 0 && d.running })
    await d.stop()
    const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(' and ')
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
    const notes = [
      `busy profile alone: ${fmt(alone)} deliveries/s; with ${o.held} events of another profile held: ${fmt(beside)} deliveries/s (mean ${((100 * mean(beside)) / mean(alone)).toFixed(0)} % of alone); alone again after the held events were delivered: ${fmt([after])} deliveries/s; ${o.busy} events each`,
      `holding: ${o.held} events published in ${publishSeconds.toFixed(1)} s (${(o.held / publishSeconds).toFixed(0)}/s, ${published.retries} publish retries), all held ${fillSeconds.toFixed(1)} s after the first`,
      `with ${heldNow} held, ${idle.toFixed(0)} s idle: daemon CPU ${daemonIdle.toFixed(1)} %, nats-server CPU ${natsIdle.toFixed(1)} %`,
      `resume: all ${o.held} held events delivered ${drainSeconds.toFixed(1)} s after it (${(o.held / drainSeconds).toFixed(0)}/s)`,
    ]
    return summarize('held isolation', units.length, units, l, d.maxRssKb, t0, checks, notes)
  })
}
