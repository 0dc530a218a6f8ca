// The peer P: what a Node team builds instead of callback-router, "BullMQ plus fifty
// lines". Producers add one job per event to a BullMQ queue on Redis (attempts 3,
// exponential backoff, removeOnComplete); a Worker with the benchmark's concurrency POSTs
// each job's event, as JSON, with undici to the same endpoint as B and C, and throws on a
// non-2xx answer so BullMQ retries it. The Worker runs in its own process so /proc measures
// it alone:
//   node peer.js <redisPort> <url> <concurrency>     runs until SIGTERM
// BullMQ talks to Redis through ioredis (its optional peer, a devDependency here).
import { Queue, Worker, type Job } from 'bullmq'
import { Agent, request } from 'undici'

export const PEER_QUEUE = 'callbacks'

/** Per job, like the daemon's bench profiles: 1 attempt + 2 retries, 10 s base interval. */
export const PEER_JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delay: 10_000 }, removeOnComplete: true } as const

const HEADERS = { 'content-type': 'application/json', 'x-api-key': 'bench-key' }

function connection(port: number): { host: string; port: number; maxRetriesPerRequest: null } {
  // maxRetriesPerRequest null: what BullMQ asks of a Worker's connection.
  return { host: '127.0.0.1', port, maxRetriesPerRequest: null }
}

export function peerQueue(redisPort: number): Queue {
  return new Queue(PEER_QUEUE, { connection: connection(redisPort) })
}

/** Adds one job per event; `jobId` is the event id, BullMQ's way to drop a repeated add. */
export async function addJob(queue: Queue, id: string, event: unknown): Promise<void> {
  await queue.add('sms-send', event, { ...PEER_JOB_OPTIONS, jobId: id })
}

export async function addJobs(queue: Queue, jobs: Array<{ id: string; event: unknown }>): Promise<void> {
  await queue.addBulk(jobs.map((j) => ({ name: 'sms-send', data: j.event, opts: { ...PEER_JOB_OPTIONS, jobId: j.id } })))
}

/** Jobs not yet done: waiting, active, delayed or prioritised (completed ones are removed). */
export async function jobsLeft(queue: Queue): Promise<number> {
  const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')
  return Object.values(c).reduce((a, b) => a + b, 0)
}

async function work(redisPort: number, url: string, concurrency: number): Promise<void> {
  const agent = new Agent()
  const post = async (job: Job): Promise<void> => {
    const r = await request(url, { dispatcher: agent, method: 'POST', body: JSON.stringify(job.data), headers: HEADERS })
    await r.body.dump()
    if (r.statusCode < 200 || r.statusCode >= 300) throw new Error(`HTTP ${r.statusCode}`)
  }
  const worker = new Worker(PEER_QUEUE, post, { connection: connection(redisPort), concurrency })
  worker.on('error', (e) => process.stderr.write(`peer worker: ${e.message}\n`))
  process.on('SIGTERM', () => {
    void worker
      .close()
      .then(() => agent.close())
      .finally(() => process.exit(0))
  })
  await worker.waitUntilReady()
  process.send?.({ type: 'ready' })
}

if (require.main === module) {
  const [port, url, concurrency] = process.argv.slice(2)
  work(Number(port), url, Number(concurrency)).catch((e: unknown) => {
    process.stderr.write(`peer worker failed: ${(e as Error).stack ?? String(e)}\n`)
    process.exit(1)
  })
}
