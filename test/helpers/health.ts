// What the endpoint-health tests share: a valid sms event, the held count, the ops events.
import type { Test } from 'tap'
import type { JetStreamManager, NatsConnection } from 'nats'
import { PluginRegistry } from '../../core/plugin/registry'
import { sampleData } from '../../core/plugin/sample-data'
import { heldCounts } from '../../core/jetstream/held-jobs'
import { STREAMS } from '../../core/jetstream/streams'
import { builtins } from '../../plugins'

const registry = new PluginRegistry(builtins)
export const SMS_DATA = sampleData(registry.eventSpec('sms', 'sms-send')!) as Record<string, unknown>

export function smsEvent(id: string, profile: string, account = 'acme'): Record<string, unknown> {
  return { id, account, profile, data: SMS_DATA }
}

export async function heldOf(jsm: JetStreamManager, profile: string): Promise<number> {
  return (await heldCounts(jsm)).get(profile) ?? 0
}

export async function opsEvents(jsm: JetStreamManager): Promise<Array<{ subject: string; body: Record<string, unknown> }>> {
  const info = await jsm.streams.info(STREAMS.ops)
  const out = []
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(STREAMS.ops, { seq }).catch(() => undefined)
    if (m) out.push({ subject: m.subject, body: m.json<Record<string, unknown>>() })
  }
  return out
}

/** DESIGN "Endpoint health": an ops event is `{ profile, account, event, reason, at, held }`, nothing else. */
export const OPS_FIELDS = ['account', 'at', 'event', 'held', 'profile', 'reason']

/** An ops event on its subject, with exactly the documented fields, `at` ISO-8601 UTC and `held` a count. */
export function assertOpsEvent(t: Test, e: { subject: string; body: Record<string, unknown> }, expected: { profile: string; account: string; event: string; reason: string; held?: number }): void {
  t.equal(e.subject, `callback-router.ops.profile.${expected.event}`, `${expected.event} on its subject`)
  t.same(Object.keys(e.body).sort(), OPS_FIELDS, `${expected.event}: exactly the documented fields`)
  t.match(e.body, expected, `${expected.event}: profile, account, event, reason${expected.held === undefined ? '' : ', held'}`)
  t.match(e.body.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `${expected.event}: at is ISO-8601 UTC`)
  t.ok(Number.isInteger(e.body.held) && (e.body.held as number) >= 0, `${expected.event}: held is a count`)
}

/** Ops events as they arrive from now on (subscribe before acting, then wait on the array). */
export function watchOps(nc: NatsConnection, event = '>'): Array<{ subject: string; body: Record<string, unknown> }> {
  const got: Array<{ subject: string; body: Record<string, unknown> }> = []
  nc.subscribe(`callback-router.ops.profile.${event}`, { callback: (err, m) => (err ? undefined : got.push({ subject: m.subject, body: m.json<Record<string, unknown>>() })) })
  return got
}
