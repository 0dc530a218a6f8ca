// Opening the JetStream key-value buckets the daemons share (DESIGN "Several daemons"):
// created on first use with the settings' replicas, bound to when they exist.
import type { JetStreamClient, KV } from 'nats'

export const BUCKETS = {
  profileState: 'CALLBACK_PROFILE_STATE',
} as const

export interface BucketOptions {
  replicas: number
  /** Values kept per key (1 = the current one only). */
  history?: number
}

export function openBucket(js: JetStreamClient, name: string, options: BucketOptions): Promise<KV> {
  return js.views.kv(name, { replicas: options.replicas, history: options.history ?? 1 })
}

/** True when a compare-and-set lost to another writer (nats-server's "wrong last sequence"). */
export function isRevisionConflict(e: unknown): boolean {
  const err = e as { api_error?: { err_code?: number }; message?: string }
  return err?.api_error?.err_code === 10071 || /wrong last sequence|key exists/i.test(err?.message ?? '')
}
