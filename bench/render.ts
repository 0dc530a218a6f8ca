// Micro-benchmark of the hot path: CompiledProfile.render for small profiles.
// Run: npx tsx bench/render.ts   (or node dist/bench/render.js after a build)
import { compileProfile, type CompiledProfile } from '../core/render/compile'
import { PluginRegistry } from '../core/plugin/registry'
import type { ChannelPlugin } from '../core/plugin/contract'
import type { Profile } from '../core/generated/profile'
import type { CallbackEvent } from '../core/generated/event'

const plugin: ChannelPlugin = {
  name: 'sms', title: 'SMS', retry: { maxRetries: 3, intervalSeconds: 10, backoff: 'fixed' },
  events: { 'sms-send': { description: 'd', payloadSchema: {}, variables: [] } },
}
const registry = new PluginRegistry([plugin])
const base: Profile = { id: 'acme-sms-dlr', title: 'ACME SMS', account: 'acme', channel: 'sms', endpoint: 'https://hooks.acme.example/cb?ref=<ref>' }
const event: CallbackEvent = { id: 'evt_01J9Z', account: 'acme', data: { id: 'msg-1', to: '+919876543210', status: 'DELIVERED', ref: 'r1', error: { code: 'E0' } } }
const ctx = { event: 'sms-send', channel: 'sms', timestamp: 1764000000 }

const cases: [string, Partial<Profile>][] = [
  ['json body', { body: { id: '<id>', to: '<to>', status: '<status>', detail: { code: '<error.code>' } } }],
  ['json body + signing', { body: { id: '<id>', to: '<to>', status: '<status>' }, signing: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } }],
  ['json default body', {}],
  ['GET query', { method: 'GET', endpoint: 'https://hooks.acme.example/cb?id=<id>&to=<to>&status=<status>' }],
  ['urlencoded fields', { format: 'urlencoded', body: { id: '<id>', to: '<to>', status: '<status>' } }],
  ['form fields', { format: 'form', body: { id: '<id>', to: '<to>', status: '<status>' } }],
  ['json + aes-256-gcm(to)', { body: { id: '<id>', to: '<to>' }, encryption: { algorithm: 'aes-256-gcm', key: 'k'.repeat(32), iv: 'random', parameters: ['to'] } }],
]

function measure(p: CompiledProfile): number {
  for (let i = 0; i < 20000; i++) p.render(event, ctx)
  const n = 200000
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) p.render(event, ctx)
  return Number(process.hrtime.bigint() - start) / n / 1000
}

for (const [name, over] of cases) {
  const p = compileProfile({ ...base, ...over }, registry)
  console.log(`${name.padEnd(26)} ${measure(p).toFixed(2)} µs/render`)
}
