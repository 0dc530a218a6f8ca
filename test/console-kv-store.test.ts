// With profileStore "kv" the console runs on any daemon and edits the bucket CALLBACK_PROFILES
// (DESIGN "Several daemons"): one profile as written with its revision, saves through the
// checks of `validate`, each a compare-and-set on the revision it edited, so a stale save
// (someone saved through another daemon's console meanwhile) is refused with 409. Two real
// daemons on one real nats-server.
import t from 'tap'
import { readdir } from 'node:fs/promises'
import { eventually, profile } from './helpers/daemon-fixture'
import { startDaemonConsoles } from './helpers/console-daemons'

const TOKEN = 'console-kv-token-0123456789abcdef'

t.test('two consoles on two daemons edit one KV profile: the second save of the same revision gets 409 CONSOLE_PROFILE_STALE', async (t) => {
  process.env.CONSOLE_KV_SECRET = 'kv-secret-never-shown'
  const seeded = profile('kv-one', 'https://hooks.example/one', { headers: { 'X-Api-Key': '${env:CONSOLE_KV_SECRET}' } })
  const { fx, kv, consoles } = await startDaemonConsoles(t, { token: TOKEN, daemons: 2, profiles: [seeded] })
  const [a, b] = consoles

  const readA = await a.api('GET', '/profiles/kv-one')
  const readB = await b.api('GET', '/profiles/kv-one')
  t.equal(readA.status, 200)
  t.equal(readA.body.file, 'kv:CALLBACK_PROFILES/kv-one')
  const revision = readA.body.revision as number
  t.ok(revision > 0, `the answer carries the KV revision (${revision})`)
  t.equal(readB.body.revision, revision, 'both consoles read the same revision')
  t.match(readA.body.raw, { headers: { 'X-Api-Key': '${env:CONSOLE_KV_SECRET}' } }, 'the secret as written')
  t.notOk(JSON.stringify(readA.body).includes('kv-secret-never-shown'), 'never its value')
  const list = await a.api('GET', '/profiles')
  t.match(list.body, { profileStore: 'kv', profiles: [{ id: 'kv-one', revision, file: 'kv:CALLBACK_PROFILES/kv-one' }] }, 'the list carries each revision')

  const rawA = { ...(readA.body.raw as Record<string, unknown>), title: 'Edited on daemon A' }
  const savedA = await a.api('PUT', '/profiles/kv-one', { raw: rawA, revision })
  t.equal(savedA.status, 200, JSON.stringify(savedA.body))
  const after = savedA.body.revision as number
  t.ok(after > revision, 'the save made a new revision')
  t.equal(a.daemon.config().profiles.find((p) => p.profile.id === 'kv-one')?.profile.title, 'Edited on daemon A', 'daemon A runs it when the save is answered')
  await eventually(() => b.daemon.config().profiles.find((p) => p.profile.id === 'kv-one')?.profile.title === 'Edited on daemon A', 10_000)
  const stored = JSON.parse((await kv.get('kv-one'))!.string()) as Record<string, unknown>
  t.match(stored, { title: 'Edited on daemon A', headers: { 'X-Api-Key': '${env:CONSOLE_KV_SECRET}' } }, 'stored as written, the secret unexpanded')

  const rawB = { ...(readB.body.raw as Record<string, unknown>), title: 'Edited on daemon B' }
  const stale = await b.api('PUT', '/profiles/kv-one', { raw: rawB, revision })
  t.equal(stale.status, 409, 'the second save of the same revision: 409')
  t.equal(stale.body.code, 'CONSOLE_PROFILE_STALE')
  t.equal(stale.body.revision, after, 'with the revision the store is at')
  t.match(stale.body.error, new RegExp(`someone else changed.*revision ${after}.*reload`), 'the message says so and what to do')
  t.equal((await kv.get('kv-one'))!.revision, after, 'nothing written')

  const missing = await b.api('PUT', '/profiles/kv-one', { raw: rawB })
  t.equal(missing.status, 400, 'a save without the revision it edited is refused')
  const bad = await b.api('PUT', '/profiles/kv-one', { raw: { ...rawB, endpoint: 'ftp://x' }, revision: after })
  t.equal(bad.status, 422, "validate's checks")
  t.match(bad.body.diagnostics, [{ pointer: '/endpoint', file: 'kv:CALLBACK_PROFILES/kv-one' }])
  const moved = await b.api('PUT', '/profiles/kv-one', { raw: { ...rawB, channel: 'email' }, revision: after })
  t.match(moved.body.diagnostics, [{ code: 'CONFIG_CHANNEL_LOCKED' }], 'a profile keeps its channel')

  const created = await b.api('POST', '/profiles', { raw: profile('kv-two', 'https://hooks.example/two') })
  t.equal(created.status, 201, JSON.stringify(created.body))
  t.ok(b.daemon.config().profiles.some((p) => p.profile.id === 'kv-two'), 'daemon B runs the new profile')
  const again = await a.api('POST', '/profiles', { raw: profile('kv-two', 'https://hooks.example/other') })
  t.match(again, { status: 422, body: { diagnostics: [{ code: 'CONFIG_DUPLICATE_ID' }] } }, 'a create where a profile is: refused')

  const staleToggle = await a.api('POST', '/profiles/kv-two/enabled', { enabled: false, revision: (created.body.revision as number) - 1 })
  t.equal(staleToggle.status, 409, 'disable at an old revision: 409')
  const toggled = await a.api('POST', '/profiles/kv-two/enabled', { enabled: false, revision: created.body.revision })
  t.equal(toggled.status, 200)
  t.equal(a.daemon.config().profiles.find((p) => p.profile.id === 'kv-two')?.profile.enabled, false)
  const staleDelete = await b.api('DELETE', `/profiles/kv-two?revision=${created.body.revision as number}`)
  t.equal(staleDelete.status, 409, 'delete at an old revision: 409')
  const deleted = await b.api('DELETE', `/profiles/kv-two?revision=${toggled.body.revision as number}`)
  t.equal(deleted.status, 200)
  t.notOk(b.daemon.config().profiles.some((p) => p.profile.id === 'kv-two'), 'daemon B no longer runs it')
  t.equal((await a.api('GET', '/profiles/kv-two')).status, 404)

  t.same(await readdir(fx.profilesDir), [], 'no profile file was written')
})
