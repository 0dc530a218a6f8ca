// The two baselines, each run in its own process (fork) so /proc measures it alone:
//   raw <url> <n> <concurrency> <bodyJson>   A: an undici POST loop, n requests, then exits
//   naive <natsUrl> <url> <concurrency>      B: the forwarder a user writes in an afternoon:
//       JetStream pull consumer → undici POST of the event bytes → ack (nak on failure);
//       runs until SIGTERM.
import { connect } from 'nats'
import { Agent, request } from 'undici'

export const NAIVE_STREAM = 'BENCH_NAIVE'
export const NAIVE_CONSUMER = 'naive'
export const NAIVE_SUBJECT = 'naive.sms.sms-send'

const HEADERS = { 'content-type': 'application/json', 'x-api-key': 'bench-key' }

async function raw(url: string, n: number, concurrency: number, body: string): Promise<void> {
  const agent = new Agent()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++
      const r = await request(url, { dispatcher: agent, method: 'POST', body, headers: HEADERS })
      await r.body.dump()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  await agent.close()
}

async function naive(natsUrl: string, url: string, concurrency: number): Promise<void> {
  const nc = await connect({ servers: natsUrl })
  const js = nc.jetstream()
  const agent = new Agent()
  const consumer = await js.consumers.get(NAIVE_STREAM, NAIVE_CONSUMER)
  const iter = await consumer.consume({ max_messages: concurrency })
  process.on('SIGTERM', () => {
    iter.stop()
    void nc.close().then(() => process.exit(0))
  })
  process.send?.({ type: 'ready' })
  let inFlight = 0
  let wake: (() => void) | undefined
  for await (const m of iter) {
    while (inFlight >= concurrency) await new Promise<void>((r) => (wake = r))
    inFlight++
    request(url, { dispatcher: agent, method: 'POST', body: m.data, headers: HEADERS })
      .then(async (r) => {
        await r.body.dump()
        if (r.statusCode >= 200 && r.statusCode < 300) m.ack()
        else m.nak()
      })
      .catch(() => m.nak())
      .finally(() => {
        inFlight--
        const w = wake
        wake = undefined
        w?.()
      })
  }
}

if (require.main === module) {
  const [mode, ...args] = process.argv.slice(2)
  const run = mode === 'raw' ? raw(args[0], Number(args[1]), Number(args[2]), args[3]) : naive(args[0], args[1], Number(args[2]))
  run.then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`load ${mode} failed: ${(e as Error).stack ?? String(e)}\n`)
      process.exit(1)
    },
  )
}
