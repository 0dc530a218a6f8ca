// Fuzzing with fast-check: random profiles and templates (each accepted or refused with a
// reason), then random envelopes, payloads and raw bytes on the event subjects, interleaved
// with valid neighbours. The daemon must not crash or stall, every message must end as a
// delivery or a dead letter with a known reason, and the neighbours must all arrive.
// Beside them, the hostile messages of hostile.ts (an event of max_payload, jobs with
// missing or garbage headers, a forged job) must each end as one dead letter.
import fc from 'fast-check'
import { isDeadLetterReason } from '../../core/errors'
import { checkProfile } from '../../core/config/profile-check'
import { PluginRegistry } from '../../core/plugin/registry'
import { builtins } from '../../plugins'
import { nastyString } from '../helpers/arbitraries'
import { NatsServer } from '../helpers/nats-server'
import { checkHostile, publishHostile } from './hostile'
import { booksEndpoint, createStack, natsClient, publishAll, readyz, readDead, settle, smsData, smsProfile, streamsReady, type Check, type Outgoing, type ScenarioResult, type Unit } from './lib'

const registry = new PluginRegistry(builtins)
const VARS = ['<id>', '<to>', '<status>', '<error.code>', '<price>', '<_event.id>', '<_event.account>', '<units>', '<nope>', '<a.b[0]>', '<', '>', '<<to>>']

const template = fc.array(fc.oneof(fc.constantFrom(...VARS), nastyString), { maxLength: 4 }).map((parts) => parts.join(''))

function profileArb(url: string): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
      format: fc.constantFrom('json', 'urlencoded', 'form', 'xml'),
      path: fc.constantFrom('/fz/<id>', '/fz?to=<to>&s=<status>', '/fz/<nope>', '/fz?q=<_event.id>', '/fz/<to>/x'),
      body: fc.oneof(fc.dictionary(fc.constantFrom('a', 'b', 'to', 'x y', 'é'), template, { maxKeys: 3 }), template.map((s) => `{"v": ${s || '1'}}`), fc.constant(undefined)),
      headers: fc.option(fc.dictionary(fc.constantFrom('X-A', 'X-B', 'Bad Name', 'X-C'), template, { maxKeys: 2 }), { nil: undefined }),
      retry: fc.option(fc.record({ count: fc.integer({ min: -1, max: 5 }), intervalSeconds: fc.constantFrom(0.1, 0.2, 0), timeoutMs: fc.constantFrom(500, 1000) }), { nil: undefined }),
    },
    { requiredKeys: ['method', 'format', 'path'] },
  ).map((r) => {
    const p: Record<string, unknown> = { title: 'Fuzz profile', account: 'fz', channel: 'sms', method: r.method, format: r.format, endpoint: `${url}${r.path}` }
    if (r.body !== undefined) p.body = r.body
    if (r.headers) p.headers = r.headers
    p.retry = r.retry ? { ...r.retry } : { count: 0, timeoutMs: 1000 }
    return p
  })
}

const data = fc.oneof(
  fc.constant(smsData(1)),
  fc.record({ id: fc.oneof(fc.string(), fc.integer()), to: nastyString, status: fc.constantFrom('Delivered', 'Failed', 'nope', ''), units: fc.oneof(fc.integer(), fc.string()), error: fc.oneof(fc.record({ code: nastyString }), fc.string()) }, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 3 }),
)

const envelope = fc.record(
  {
    id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), fc.string({ maxLength: 10 }), fc.integer()),
    account: fc.oneof(fc.constantFrom('fz', 'nb', 'other'), fc.string({ maxLength: 5 })),
    profile: fc.oneof(fc.constantFrom('fz-nb', 'fz-r0', 'fz-r1', 'fz-r2', 'missing'), fc.string({ maxLength: 8 })),
    occurredAt: fc.oneof(fc.constant('2026-11-24T10:00:00Z'), fc.string({ maxLength: 8 })),
    data,
    extra: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
)

const subject = fc.oneof(fc.constantFrom('callbacks.sms.sms-send', 'callbacks.default.fuzz-thing', 'callbacks.sms.nope', 'callbacks.voice.voice', 'callbacks.whatsapp.message_status'), fc.stringMatching(/^[a-z0-9_-]{1,8}\.[a-z0-9_-]{1,8}$/).map((s) => `callbacks.${s}`))

/** Valid envelopes with hostile but schema-valid data: they reach the random profiles' templates. */
const nonEmpty = nastyString.filter((x) => x.length > 0)
const nearValid = fc
  .record({
    id: fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/),
    profile: fc.option(fc.constantFrom('fz-r0', 'fz-r1', 'fz-r2', 'fz-r3', 'fz-r5', 'fz-r8'), { nil: undefined }),
    data: fc.record({ id: nonEmpty, to: nonEmpty, status: fc.constantFrom('Sent', 'Delivered', 'Failed', 'Undelivered'), error: fc.record({ code: nastyString }), price: fc.oneof(fc.double({ min: 0, noNaN: true }), fc.constant(0)), extra: fc.jsonValue({ maxDepth: 2 }) }),
  })
  .map((e) => ({ subject: 'callbacks.sms.sms-send', text: JSON.stringify({ ...e, id: `fz${e.id}`, account: 'fz' }), id: `fz${e.id}` as string | undefined }))

const message = fc.oneof(
  { weight: 3, arbitrary: nearValid },
  { weight: 3, arbitrary: fc.tuple(subject, envelope).map(([s, e]) => ({ subject: s, text: JSON.stringify(e), id: typeof e.id === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(e.id) ? e.id : undefined })) },
  { weight: 1, arbitrary: fc.tuple(subject, fc.uint8Array({ maxLength: 200 })).map(([s, b]) => ({ subject: s, bytes: b, id: undefined })) },
  { weight: 1, arbitrary: fc.tuple(subject, fc.string({ unit: 'binary', maxLength: 100 })).map(([s, t]) => ({ subject: s, text: t, id: undefined })) },
)

export async function fuzzScenario(o: { messages: number; profiles: number; seed?: number }): Promise<ScenarioResult> {
  const t0 = Date.now()
  const seed = o.seed ?? 42
  const nats = await NatsServer.start()
  const books = await booksEndpoint()
  const url = books.ep.url
  const checks: Check[] = []
  // Random profiles: each is either accepted or refused with a reason (code and pointer).
  const candidates = fc.sample(profileArb(url), { numRuns: o.profiles, seed })
  const accepted: Array<Record<string, unknown>> = []
  const refusedReasons = new Map<string, number>()
  let refusedWithoutReason = 0
  candidates.forEach((p, i) => {
    const c = { ...p, id: `fz-r${i}` }
    const r = checkProfile(c, `fz-r${i}.json`, registry)
    const errors = r.diagnostics.filter((d) => d.level === 'error')
    if (errors.length === 0 && r.profile) accepted.push(c)
    else if (errors.length === 0 || errors.some((e) => !e.code || !e.message)) refusedWithoutReason++
    else for (const e of errors) refusedReasons.set(e.code, (refusedReasons.get(e.code) ?? 0) + 1)
  })
  checks.push({ name: `${o.profiles} random profiles: ${accepted.length} accepted, the others refused with a code and a message`, ok: refusedWithoutReason === 0 && accepted.length > 0 })
  const stack = await createStack({ servers: [nats.url], profiles: [smsProfile('fz-nb', 'nb', `${url}/neighbour`), ...accepted] })
  const client = await natsClient([nats.url])
  const d = stack.daemon()
  try {
    d.start()
    const started = await d.started()
    checks.push({ name: 'the daemon starts with every profile the checker accepted', ok: started, detail: d.output.slice(-1500) })
    if (!started) throw new Error(`daemon did not start:\n${d.output.slice(-3000)}`)
    await streamsReady(client.jsm)
    const fuzz = fc.sample(message, { numRuns: o.messages, seed })
    const msgs: Outgoing[] = []
    const units: Unit[] = []
    const fuzzMsgs: Array<{ bytes: Buffer; id?: string }> = []
    fuzz.forEach((m, i) => {
      const bytes = 'bytes' in m ? Buffer.from(m.bytes) : Buffer.from(m.text)
      msgs.push({ subject: m.subject, data: bytes, msgId: m.id })
      fuzzMsgs.push({ bytes, id: m.id })
      if (i % 3 === 0) {
        const id = `nb_${i}`
        msgs.push({ subject: 'callbacks.sms.sms-send', data: JSON.stringify({ id, account: 'nb', data: smsData(i) }), msgId: id })
        units.push({ eventId: id, profile: 'fz-nb' })
      }
    })
    // One at a time, so a duplicate msg id (the same random id twice) is seen as such.
    const dupIds = new Set<string>()
    let stored = 0
    let dropped = 0
    for (const m of msgs) {
      const r = await publishAll(client.js, [m], { concurrency: 1 })
      if (r.duplicates && m.msgId) dupIds.add(m.msgId)
      dropped += r.duplicates
      stored += r.stored
    }
    const hostile = await publishHostile(client.nc, client.js, { profile: 'fz-nb', account: 'nb', otherAccount: 'fz' })
    const { ledger: l, dead } = await settle(units, [books], client.js, client.jsm, 60_000, 1500)
    // Every fuzz message: a request under its id, or a dead letter holding its bytes.
    const deadBytes = new Set(dead.map((x) => Buffer.from(x.data).toString('base64')))
    const answered = new Set(books.answers.map((a) => a.webhookId.slice(0, a.webhookId.lastIndexOf(':'))))
    let fuzzLost = 0
    const lostSamples: string[] = []
    const seenIds = new Set<string>()
    for (const m of fuzzMsgs) {
      if (m.id && seenIds.has(m.id)) continue
      if (m.id) seenIds.add(m.id)
      if (deadBytes.has(m.bytes.toString('base64')) || (m.id && answered.has(m.id))) continue
      fuzzLost++
      if (lostSamples.length < 3) lostSamples.push(m.bytes.toString().slice(0, 120))
    }
    checks.push({ name: 'every fuzz message ended as a delivery or a dead letter', ok: fuzzLost === 0, detail: lostSamples.join(' | ') })
    const unknown = dead.filter((x) => !isDeadLetterReason(x.reason) || !x.detail)
    checks.push({ name: 'every dead letter has a known reason code and a detail', ok: unknown.length === 0, detail: unknown.slice(0, 3).map((x) => `${x.reason}: ${x.detail}`).join('; ') })
    checks.push({ name: 'the daemon never crashed and is still ready', ok: d.crashes.length === 0 && d.running && (await readyz(stack.statusPort)) === true, detail: JSON.stringify(d.crashes) })
    checks.push({ name: 'every valid neighbour was delivered', ok: l.delivered === units.length, detail: `${l.delivered}/${units.length}` })
    checks.push(...(await checkHostile(client.js, client.jsm, hostile, (id) => books.answers.some((a) => a.webhookId.startsWith(`${id}:`)))))
    const all = await readDead(client.js, client.jsm)
    const reasons: Record<string, number> = {}
    for (const x of all) reasons[x.reason] = (reasons[x.reason] ?? 0) + 1
    const routedDeliveries = books.answers.filter((a) => !a.webhookId.endsWith(':fz-nb')).length
    await d.stop()
    checks.unshift({ name: 'lost = 0', ok: fuzzLost + l.lost.length === 0 })
    const notes = [
      `seed ${seed}: ${o.profiles} random profiles (${accepted.length} accepted; refusals by code: ${[...refusedReasons].map(([k, v]) => `${k} ${v}`).join(', ')})`,
      `${fuzzMsgs.length} fuzz messages (${dropped} carrying an id already used, ${dupIds.size} ids, dropped by the stream's dedupe), ${units.length} neighbours; ${routedDeliveries} deliveries of fuzz messages; a message may end in several deliveries and dead letters (fan-out), so expected = messages stored`,
    ]
    return { scenario: 'fuzz', events: stored, units: stored, delivered: l.delivered + answered.size - units.length, duplicates: l.duplicates, dead: reasons, lost: fuzzLost + l.lost.length, maxRssKb: d.maxRssKb, seconds: (Date.now() - t0) / 1000, checks, notes }
  } finally {
    await stack.close()
    await client.nc.close()
    await books.close()
    await nats.close()
  }
}
