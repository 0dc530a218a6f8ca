// The KV profile store (DESIGN "Several daemons"): the bucket CALLBACK_PROFILES, key = profile
// id, value = the profile JSON as written (`${env:…}` unexpanded: each daemon expands from its
// own environment), 10 revisions kept per key. This file is the NATS half: open the bucket,
// read it whole, watch it, write with compare-and-set, list a key's history.
import type { JetStreamClient, KV, KvEntry } from 'nats'
import { PROFILE_BUCKET } from '../config/kv-profiles'
import { keepWatching } from './kv-watch'

export { PROFILE_BUCKET }
/** Revisions kept per profile (`profiles history`). */
export const PROFILE_HISTORY = 10

/** One value of the bucket as the daemon and the CLI see it. */
export interface BucketEntry {
  id: string
  /** The stream sequence of this write: the bucket-wide revision. */
  revision: number
  operation: 'put' | 'delete'
  /** The value's text (absent for a delete). */
  text?: string
  /** When the server stored it. */
  at: Date
}

const dec = new TextDecoder()
const enc = new TextEncoder()

export function openProfileBucket(js: JetStreamClient, replicas: number): Promise<KV> {
  return js.views.kv(PROFILE_BUCKET, { history: PROFILE_HISTORY, replicas })
}

export function toBucketEntry(e: KvEntry): BucketEntry {
  const operation = e.operation === 'PUT' ? 'put' : 'delete'
  return { id: e.key, revision: e.revision, operation, text: operation === 'put' ? dec.decode(e.value) : undefined, at: e.created }
}

/** Every live value (deleted keys left out) and the bucket's revision (its last sequence). */
export async function readBucket(kv: KV): Promise<{ entries: BucketEntry[]; revision: number }> {
  const entries: BucketEntry[] = []
  let revision = 0
  // On an empty bucket initializedFn runs inside watch(), before `iter` exists.
  let initialized = false
  let stop = (): void => {
    initialized = true
  }
  const iter = await kv.watch({ initializedFn: () => stop() })
  if (initialized) iter.stop()
  else stop = () => iter.stop()
  for await (const e of iter) {
    revision = Math.max(revision, e.revision)
    if (e.operation === 'PUT') entries.push(toBucketEntry(e))
  }
  const status = await kv.status()
  revision = Math.max(revision, status.streamInfo.state.last_seq)
  return { entries: entries.sort((a, b) => a.id.localeCompare(b.id)), revision }
}

/**
 * Watches the bucket from its current values on: `onInitial` with every live value, then
 * `onChange` per write. When a watch ends (kv-watch.ts) a new one starts from the bucket
 * `open` gives, and `onInitial` comes again with the whole state. Returns a stop function.
 */
export async function watchBucket(open: () => Promise<KV>, handlers: { onInitial(entries: BucketEntry[], revision: number): void; onChange(entry: BucketEntry): void; onRestart(e: unknown, delayMs: number): void }): Promise<() => void> {
  const watch = await keepWatching(open, {
    onInitial: (entries, revision) => handlers.onInitial(entries.map(toBucketEntry), revision),
    onChange: (e) => handlers.onChange(toBucketEntry(e)),
    onRestart: handlers.onRestart,
  })
  return () => watch.stop()
}

/** Creates (`revision` 0) or replaces (`revision` = the one read) a value; throws when someone wrote in between. */
export function writeProfile(kv: KV, id: string, text: string, revision: number): Promise<number> {
  return revision === 0 ? kv.create(id, enc.encode(text)) : kv.update(id, enc.encode(text), revision)
}

/** Deletes a value if it is still at `revision`. */
export function deleteProfileKey(kv: KV, id: string, revision: number): Promise<void> {
  return kv.delete(id, { previousSeq: revision })
}

export async function keyHistory(kv: KV, id: string): Promise<BucketEntry[]> {
  const out: BucketEntry[] = []
  const iter = await kv.history({ key: id })
  for await (const e of iter) out.push(toBucketEntry(e))
  return out
}

/** A CAS refusal (someone wrote the key since we read it). */
export function isWrongRevision(e: unknown): boolean {
  const err = e as { message?: string; api_error?: { err_code?: number } }
  return err?.api_error?.err_code === 10071 || /wrong last sequence|key exists/i.test(err?.message ?? '')
}
