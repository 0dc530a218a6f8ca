// Routing rules of DESIGN "Events on NATS", as a pure function: no NATS involved.
import t from 'tap'
import type { CheckedProfile as Profile } from '../core/config/profile-rules'
import { PluginRegistry } from '../core/plugin/registry'
import { builtins } from '../plugins'
import { buildSnapshot } from '../core/daemon/profile-store'
import { route, parseSubject, type RouteResult } from '../core/daemon/route'
import { sampleData } from '../core/plugin/sample-data'
import type { CompiledProfile } from '../core/render/compile'

const registry = new PluginRegistry(builtins)
const sms = sampleData(registry.eventSpec('sms', 'sms-send')!)
const waStatus = sampleData(registry.eventSpec('whatsapp', 'message_status')!)

function p(id: string, fields: Partial<Profile>): Profile {
  return { id, title: `profile ${id}`, account: 'acme', channel: 'sms', endpoint: `http://127.0.0.1:9/${id}`, ...fields } as Profile
}

const profiles: Profile[] = [
  p('sms-a', {}),
  p('sms-b', { events: ['sms-send'] }),
  p('sms-off', { enabled: false }),
  p('other-acct', { account: 'globex' }),
  p('wa-status', { channel: 'whatsapp', events: ['message_status'] }),
  p('catch', { channel: 'default', events: ['message_status', 'anything'] }),
  p('catch-all', { channel: 'default', account: 'initech' }),
]
const { snapshot, failures } = buildSnapshot(profiles.map((profile) => ({ profile, raw: profile, file: `/p/${profile.id}.json` })), registry, 5000)

function run(subject: string, body: unknown, maxEventBytes = 1 << 20): RouteResult<CompiledProfile> {
  const data = typeof body === 'string' ? Buffer.from(body) : body instanceof Uint8Array ? body : Buffer.from(JSON.stringify(body))
  return route({ subject, data, prefix: 'callbacks', maxEventBytes }, snapshot, registry)
}
function ids(r: RouteResult<CompiledProfile>): string[] {
  t.equal(r.kind, 'deliver', 'routed to profiles')
  return r.kind === 'deliver' ? r.profiles.map((c) => c.profile.id).sort() : []
}
function reason(r: RouteResult<CompiledProfile>): string {
  return r.kind === 'dead' ? r.reason : 'delivered'
}

t.test('the test profiles compile', async (t) => {
  t.same(failures, [])
  t.equal(snapshot.size, profiles.length)
})

t.test('subjects split into channel and event after the prefix', async (t) => {
  t.same(parseSubject('callbacks.sms.sms-send', 'callbacks'), { channel: 'sms', event: 'sms-send' })
  t.equal(parseSubject('other.sms.sms-send', 'callbacks'), undefined)
  t.equal(parseSubject('callbacks.sms', 'callbacks'), undefined)
})

t.test('without profile: fan-out to every enabled profile of the account subscribing to channel and event', async (t) => {
  t.same(ids(run('callbacks.sms.sms-send', { id: 'e1', account: 'acme', data: sms })), ['sms-a', 'sms-b'])
})

t.test('single match is one delivery (the fast path)', async (t) => {
  const r = run('callbacks.whatsapp.message_status', { id: 'e2', account: 'acme', data: waStatus })
  t.same(ids(r), ['wa-status'])
})

t.test('with profile: that profile only', async (t) => {
  t.same(ids(run('callbacks.sms.sms-send', { id: 'e3', account: 'acme', profile: 'sms-b', data: sms })), ['sms-b'])
})

t.test('named profile errors: not found, other account, disabled, not subscribed', async (t) => {
  const base = { id: 'e4', account: 'acme', data: sms }
  const nf = run('callbacks.sms.sms-send', { ...base, profile: 'nope' })
  t.equal(reason(nf), 'profile_not_found')
  t.equal(nf.kind === 'dead' && nf.profile, 'nope', 'the named profile is reported')
  t.equal(reason(run('callbacks.sms.sms-send', { ...base, profile: 'other-acct' })), 'account_mismatch')
  t.equal(reason(run('callbacks.sms.sms-send', { ...base, profile: 'sms-off' })), 'profile_disabled')
  t.equal(reason(run('callbacks.sms.sms-send', { ...base, profile: 'wa-status' })), 'event_not_subscribed')
})

t.test('a default profile receives events of any channel that name it, filtered by its bare event names', async (t) => {
  t.same(ids(run('callbacks.whatsapp.message_status', { id: 'e5', account: 'acme', profile: 'catch', data: waStatus })), ['catch'])
  t.equal(reason(run('callbacks.sms.sms-send', { id: 'e6', account: 'acme', profile: 'catch', data: sms })), 'event_not_subscribed')
})

t.test('a default profile without events receives every event under <prefix>.default.<event>', async (t) => {
  t.same(ids(run('callbacks.default.whatever-happened', { id: 'e7', account: 'initech', data: { x: 1 } })), ['catch-all'])
  t.same(ids(run('callbacks.default.anything', { id: 'e8', account: 'acme', data: {} })), ['catch'])
  t.equal(reason(run('callbacks.default.not-listed', { id: 'e9', account: 'acme', data: {} })), 'no_profile')
})

t.test('a default profile is not a fan-out target for other channels', async (t) => {
  t.equal(reason(run('callbacks.whatsapp.message_status', { id: 'e10', account: 'initech', data: waStatus })), 'no_profile')
})

t.test('no enabled profile of the account: no_profile', async (t) => {
  const r = run('callbacks.sms.sms-send', { id: 'e11', account: 'nobody', data: sms })
  t.equal(reason(r), 'no_profile')
  t.equal(r.kind === 'dead' && r.eventId, 'e11', 'the event id is kept')
})

t.test('validation reasons: invalid_json, invalid_envelope, unknown_channel, unknown_event, invalid_payload', async (t) => {
  const j = run('callbacks.sms.sms-send', '{not json')
  t.equal(reason(j), 'invalid_json')
  t.equal(j.kind === 'dead' && j.eventId, null, 'no id when unparsable')
  t.equal(reason(run('callbacks.sms.sms-send', Buffer.from([0xff, 0xfe, 0x7b]))), 'invalid_json', 'not UTF-8')
  const env = run('callbacks.sms.sms-send', { id: 'e12', data: sms })
  t.equal(reason(env), 'invalid_envelope')
  t.equal(env.kind === 'dead' && env.eventId, 'e12', 'a readable id is kept')
  t.equal(reason(run('callbacks.sms.sms-send', [1, 2])), 'invalid_envelope')
  t.equal(reason(run('callbacks.pigeon.coo', { id: 'e13', account: 'acme', data: {} })), 'unknown_channel')
  t.equal(reason(run('callbacks.sms.sms-receive', { id: 'e14', account: 'acme', data: sms })), 'unknown_event')
  t.equal(reason(run('callbacks.sms.sms-send', { id: 'e15', account: 'acme', data: { status: { nested: true }, to: 12 } })), 'invalid_payload')
})

t.test('an event above the limit is payload_too_large before anything is parsed', async (t) => {
  const body = JSON.stringify({ id: 'e16', account: 'acme', data: sms })
  const r = run('callbacks.sms.sms-send', body, body.length - 1)
  t.equal(reason(r), 'payload_too_large')
  t.equal(reason(run('callbacks.sms.sms-send', body, body.length)), 'delivered', 'exactly at the limit is accepted')
})
