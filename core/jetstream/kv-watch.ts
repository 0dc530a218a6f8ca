// A KV watch that outlives its iterator (DESIGN "Several daemons"). nats.js's kv.watch is an
// ordered push consumer: when the bucket's stream is deleted (a wiped NATS, another daemon
// recreating it), the consumer goes with it; after two missed idle heartbeats (5 s each) the
// client asks for a new one, and the iterator throws if the stream is still missing ("stream
// not found"). If the stream is back by then, the new consumer starts after the last sequence
// seen on the old stream and skips what the new one holds, silently. So each watch also looks
// at its stream every 2 s and ends itself when the stream is gone or was created anew. A closed
// connection ends the iterator without an error. Whatever the end, the watch is opened again,
// after 250 ms doubling to 5 s (back to 250 ms once a watch has delivered its initial state),
// and each new watch hands over the bucket's whole state again: the caller re-seeds from it
// rather than patching a view that may have missed writes.
import type { KV, KvEntry, QueuedIterator } from 'nats'
import { CallbackRouterError } from '../errors'
import { isNotFound } from './streams'

export interface KvWatchHandlers {
  /** The live entries (deletes applied) and the highest revision among them; once per watch started. */
  onInitial(entries: KvEntry[], revision: number): void
  onChange(entry: KvEntry): void
  /** A watch ended (or a new one could not start); the next try is in `delayMs`. */
  onRestart(err: unknown, delayMs: number): void
}

export interface KvWatch {
  stop(): void
}

const FIRST_DELAY_MS = 250
const MAX_DELAY_MS = 5000
/** How often a watch checks that its stream is still the one it started on (one STREAM.INFO). */
const STREAM_CHECK_MS = 2000

/** Ends `iter` with an error once the stream is gone or replaced; returns the stop of the checks. */
function checkStream(kv: KV, created: string, iter: QueuedIterator<KvEntry>): () => void {
  const timer = setInterval(() => {
    kv.status().then(
      ({ streamInfo: { config, created: now } }) => {
        if (now !== created) iter.stop(new CallbackRouterError('NATS_KV_STREAM_REPLACED', [config.name, created, now]))
      },
      // Anything else (a timeout while NATS reconnects) is left to the next check.
      (e: unknown) => isNotFound(e) && iter.stop(e as Error),
    )
  }, STREAM_CHECK_MS)
  timer.unref()
  return () => clearInterval(timer)
}

/** Runs one watch until its iterator ends (returns) or throws. */
async function watchOnce(kv: KV, h: Pick<KvWatchHandlers, 'onInitial' | 'onChange'>, started: (iter: QueuedIterator<KvEntry>) => void): Promise<void> {
  let initial: KvEntry[] | undefined = []
  let revision = 0
  const flush = (): void => {
    if (!initial) return
    const list = initial
    initial = undefined
    h.onInitial(list, revision)
  }
  // Read before the watch starts: a stream replaced in between only costs one more restart.
  const { created } = (await kv.status()).streamInfo
  let returned = false
  let early = false
  // initializedFn is queued behind the entries, except when every entry had arrived before
  // watch() returned: then it runs inside watch(), ahead of them, and is queued here instead.
  const iter = await kv.watch({ initializedFn: () => (returned ? flush() : (early = true)) })
  returned = true
  // A function in the queue is called in its turn (how nats.js queues initializedFn itself).
  if (early) (iter as unknown as { push(fn: () => void): void }).push(flush)
  started(iter)
  const stopChecks = checkStream(kv, created, iter)
  try {
    for await (const e of iter) {
      if (!initial) {
        h.onChange(e)
        continue
      }
      revision = Math.max(revision, e.revision)
      if (e.operation === 'PUT') initial.push(e)
      else initial = initial.filter((x) => x.key !== e.key)
    }
  } finally {
    stopChecks()
  }
}

/**
 * Watches the bucket `open` returns (called again for every new watch); resolves once the
 * first initial state is in. An error before it rejects, as a plain watch would.
 */
export function keepWatching(open: () => Promise<KV>, h: KvWatchHandlers): Promise<KvWatch> {
  return new Promise((resolve, reject) => {
    let stopped = false
    let ready = false
    let iter: QueuedIterator<KvEntry> | undefined
    let wake: (() => void) | undefined
    let delay = FIRST_DELAY_MS
    const handle: KvWatch = {
      stop() {
        stopped = true
        iter?.stop()
        wake?.()
      },
    }
    const onInitial = (entries: KvEntry[], revision: number): void => {
      delay = FIRST_DELAY_MS
      h.onInitial(entries, revision)
      if (!ready) resolve(handle)
      ready = true
    }
    const started = (i: QueuedIterator<KvEntry>): void => {
      iter = i
      if (stopped) i.stop()
    }
    void (async () => {
      for (;;) {
        let err: unknown
        try {
          await watchOnce(await open(), { onInitial, onChange: h.onChange }, started)
        } catch (e) {
          err = e
          if (!ready && !stopped) return reject(e)
        }
        if (stopped) return
        h.onRestart(err, delay)
        await new Promise<void>((r) => {
          wake = r
          setTimeout(r, delay).unref()
        })
        delay = Math.min(delay * 2, MAX_DELAY_MS)
        if (stopped) return
      }
    })()
  })
}
