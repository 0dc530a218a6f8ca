// What the endpoint-health tests share: a valid sms event, the held count, the ops events.
import type { JetStreamManager } from 'nats'
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
