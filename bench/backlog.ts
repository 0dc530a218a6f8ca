// `npm run bench -- --backlog`: memory under a backlog. 100k deliveries parked on retry
// (endpoint down, long interval) while fresh events to a healthy profile flow.
import type { ChildProcess } from 'node:child_process'
import type { JetStreamManager } from 'nats'
import type { NatsServer } from '../test/helpers/nats-server'
import { startDaemonProcess, type DaemonSetup } from './daemon-proc'
import { measureDrain, round, sendMany, sleep, stopProcess, type Endpoint, type Send, type Throughput } from './measure'
import { mb, sampleProc } from './proc'

export interface BacklogOptions {
  events: number
  backlogEvents: number
  backlogWaitSeconds: number
  log: (line: string) => void
}

/** `send(account)` publishes one event of that account to the daemon's events stream. */
export async function runBacklog(o: BacklogOptions, setup: DaemonSetup, nats: NatsServer, ep: Endpoint, send: (account: string) => Send, jsm: JetStreamManager, track: (p: ChildProcess) => ChildProcess): Promise<Record<string, unknown>> {
  const d = track(await startDaemonProcess(setup, undefined))
  const pid = d.pid!
  const natsPid = nats.pid!
  const healthy = async (label: string): Promise<Throughput> => {
    await ep.reset(false)
    const publishing = sendMany(send('bench-json'), `healthy${label}`, o.events)
    const t = await measureDrain(ep, o.events, { consumers: [pid] }, Math.max(60_000, o.events * 20))
    await publishing
    return t
  }
  try {
    const before = await healthy('before')
    o.log(`backlog: healthy profile before: ${before.perSecond} events/s`)
    const start = sampleProc(pid)
    let peakRss = start.rssBytes
    const samples: Array<{ t: number; rssMb: number; retriesWaiting: number }> = []
    const t0 = Date.now()
    const sampler = setInterval(() => {
      try {
        const s = sampleProc(pid)
        peakRss = Math.max(peakRss, s.rssBytes)
      } catch {
        // the daemon is gone; the run fails below
      }
    }, 250)
    const waiting = async (): Promise<number> => {
      const i = await jsm.consumers.info('CALLBACK_JOBS', 'retries')
      return i.num_pending + i.num_ack_pending
    }
    try {
      // Fill: every event's first attempt fails (connection refused) and parks a retry due in an hour.
      await sendMany(send('bench-dead'), 'dead', o.backlogEvents)
      const fillDeadline = Date.now() + 600_000
      let w = await waiting()
      while (w < o.backlogEvents && Date.now() < fillDeadline) {
        await sleep(500)
        w = await waiting()
        samples.push({ t: round((Date.now() - t0) / 1000, 1), rssMb: mb(sampleProc(pid).rssBytes), retriesWaiting: w })
      }
      const filledSeconds = round((Date.now() - t0) / 1000, 1)
      o.log(`backlog: ${w} deliveries waiting on retry after ${filledSeconds} s`)

      // Wait with the backlog parked: what do nats-server and the daemon spend?
      const n0 = sampleProc(natsPid)
      const d0 = sampleProc(pid)
      const w0 = Date.now()
      while (Date.now() - w0 < o.backlogWaitSeconds * 1000) {
        await sleep(1000)
        samples.push({ t: round((Date.now() - t0) / 1000, 1), rssMb: mb(sampleProc(pid).rssBytes), retriesWaiting: await waiting() })
      }
      const waitSeconds = (Date.now() - w0) / 1000
      const n1 = sampleProc(natsPid)
      const d1 = sampleProc(pid)
      const natsCpuPercent = round(((n1.cpuSeconds - n0.cpuSeconds) / waitSeconds) * 100, 1)
      const daemonCpuPercent = round(((d1.cpuSeconds - d0.cpuSeconds) / waitSeconds) * 100, 1)
      o.log(`backlog: while parked for ${round(waitSeconds, 0)} s: nats-server CPU ${natsCpuPercent} %, daemon CPU ${daemonCpuPercent} %, nats-server RSS ${mb(n1.rssBytes)} MB`)

      const during = await healthy('during')
      o.log(`backlog: healthy profile during: ${during.perSecond} events/s (${round(during.perSecond / before.perSecond)} of before)`)
      const end = sampleProc(pid)
      const result = {
        deliveriesWaiting: await waiting(),
        fillSeconds: filledSeconds,
        daemonRssMb: { start: mb(start.rssBytes), peak: mb(Math.max(peakRss, end.rssBytes)), end: mb(end.rssBytes) },
        parked: { seconds: round(waitSeconds, 1), natsServerCpuPercent: natsCpuPercent, daemonCpuPercent, natsServerRssMb: mb(n1.rssBytes) },
        healthyBefore: before,
        healthyDuring: during,
        healthyRatio: round(during.perSecond / before.perSecond),
        samples,
      }
      o.log(`backlog: daemon RSS start ${result.daemonRssMb.start} MB, peak ${result.daemonRssMb.peak} MB, end ${result.daemonRssMb.end} MB`)
      return result
    } finally {
      clearInterval(sampler)
    }
  } finally {
    await stopProcess(d)
  }
}

