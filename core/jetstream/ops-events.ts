// Operational events (DESIGN "Endpoint health"): for upstream systems that tell their
// customers when an endpoint's breaker opens, a profile pauses or held events expire.
// One JSON message per event on callback-router.ops.profile.<event>, kept 30 days in
// CALLBACK_OPS. Awaited (a lost ops event is a customer not told), never on the hot path:
// they are emitted on state changes only.
import type { JetStreamClient } from 'nats'
import type { OpsEvent } from '../json-shapes'
import { SUBJECTS } from './streams'

export type { OpsEvent }

export function opsSubject(event: OpsEvent['event']): string {
  return `${SUBJECTS.ops}.profile.${event}`
}

export async function publishOpsEvent(js: JetStreamClient, ev: OpsEvent): Promise<void> {
  // The msg id makes a retried publish (or two daemons announcing the same KV change) count once.
  await js.publish(opsSubject(ev.event), JSON.stringify(ev), { msgID: `${ev.profile}:${ev.event}:${ev.at}` })
}
