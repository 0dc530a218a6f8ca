// `profiles push [dir]`, `profiles pull <dir>`, `profiles history <id>`: the KV profile store
// fed from files (DESIGN "Several daemons"). Files stay the operator's source: push checks the
// folder like `validate`, and one error anywhere writes nothing; then it writes what changed,
// each write a compare-and-set against the revision it read, so an edit made meanwhile (the
// console on some daemon) is reported instead of overwritten.
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { loadProfiles } from '../config/settings'
import { formatDiagnostic, hasErrors } from '../diagnostics'
import { formatMessage } from '../errors'
import { deleteProfileKey, isWrongRevision, keyHistory, openProfileBucket, readBucket, writeProfile, type BucketEntry } from '../jetstream/profile-bucket'
import { fail } from './context'
import { NATS_OPTION, withNats, withNatsOptions } from './nats-client'

export interface PushPlan {
  create: Array<{ id: string; text: string }>
  update: Array<{ id: string; text: string; revision: number }>
  delete: Array<{ id: string; revision: number }>
  unchanged: number
}

/** Canonical text for comparing: key order as written, no whitespace. */
function canonical(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text))
  } catch {
    return text
  }
}

/** What a push writes: new ids, changed values, and (with prune) ids the folder no longer has. */
export function planPush(local: ReadonlyArray<{ id: string; raw: unknown }>, remote: readonly BucketEntry[], prune: boolean): PushPlan {
  const plan: PushPlan = { create: [], update: [], delete: [], unchanged: 0 }
  const byId = new Map(remote.filter((e) => e.operation === 'put').map((e) => [e.id, e]))
  for (const { id, raw } of local) {
    const text = JSON.stringify(raw, null, 2) + '\n'
    const current = byId.get(id)
    if (!current) plan.create.push({ id, text })
    else if (canonical(current.text ?? '') === JSON.stringify(raw)) plan.unchanged++
    else plan.update.push({ id, text, revision: current.revision })
  }
  if (prune) {
    const kept = new Set(local.map((l) => l.id))
    for (const e of byId.values()) if (!kept.has(e.id)) plan.delete.push({ id: e.id, revision: e.revision })
  }
  return plan
}

export interface PushResult {
  created: string[]
  updated: string[]
  deleted: string[]
  unchanged: number
  revision: number
}

interface PushOptions {
  dryRun?: boolean
  prune?: boolean
  json?: boolean
}

function registerPush(profiles: Command): void {
  withNatsOptions(
    profiles
      .command('push')
      .description('check a folder of profile files like validate, then write what changed into the KV store (CALLBACK_PROFILES); one error anywhere: nothing written')
      .argument('[dir]', 'folder of profile files (default: profilesDir of the settings)')
      .option('--dry-run', 'check and show what would change, write nothing')
      .option('--prune', 'delete profiles that the folder no longer has'),
    'print { created, updated, deleted, unchanged, revision }',
  )
    .action(async (dir: string | undefined, own: PushOptions, cmd: Command) => {
      const opts = { ...own, json: wantsJson(own, cmd) }
      await withNats(cmd, async ({ config, js }) => {
        if (hasErrors(config.diagnostics)) fail(config.diagnostics.map((d) => formatDiagnostic(d)).join('\n'))
        const folder = dir ? resolve(dir) : config.profilesDir
        const loaded = await loadProfiles(folder, config.registry, process.env, config.settingsFile)
        const lines = loaded.diagnostics.map((d) => formatDiagnostic(d))
        if (hasErrors(loaded.diagnostics)) fail([...lines, `push refused: ${loaded.diagnostics.filter((d) => d.level === 'error').length} error(s); nothing written`].join('\n'))
        if (lines.length) process.stderr.write(lines.join('\n') + '\n')
        const kv = await openProfileBucket(js, config.settings.nats.replicas)
        const before = await readBucket(kv)
        const plan = planPush(loaded.profiles.map((p) => ({ id: p.profile.id, raw: p.raw })), before.entries, opts.prune === true)
        const result: PushResult = { created: plan.create.map((c) => c.id), updated: plan.update.map((u) => u.id), deleted: plan.delete.map((d) => d.id), unchanged: plan.unchanged, revision: before.revision }
        if (!opts.dryRun) result.revision = await applyPlan(kv, plan, before.revision)
        printPush(result, opts)
      })
    })
}

async function applyPlan(kv: Awaited<ReturnType<typeof openProfileBucket>>, plan: PushPlan, revision: number): Promise<number> {
  const done: string[] = []
  const conflict = (id: string, rev: number): never => fail([formatMessage('CONFIG_KV_CONFLICT', id, rev), done.length ? `written before the conflict: ${done.join(', ')}` : 'nothing was written'].join('\n'))
  for (const w of [...plan.create.map((c) => ({ ...c, revision: 0 })), ...plan.update]) {
    try {
      revision = await writeProfile(kv, w.id, w.text, w.revision)
    } catch (e) {
      if (isWrongRevision(e)) conflict(w.id, w.revision)
      throw e
    }
    done.push(w.id)
  }
  for (const d of plan.delete) {
    try {
      await deleteProfileKey(kv, d.id, d.revision)
    } catch (e) {
      if (isWrongRevision(e)) conflict(d.id, d.revision)
      throw e
    }
    done.push(d.id)
  }
  if (plan.delete.length) revision = (await kv.status()).streamInfo.state.last_seq
  return revision
}

function printPush(r: PushResult, opts: PushOptions): void {
  if (opts.json) {
    process.stdout.write(JSON.stringify(r, null, 2) + '\n')
    return
  }
  const verb = opts.dryRun ? 'would be ' : ''
  const out: string[] = []
  for (const id of r.created) out.push(`${verb}created ${id}`)
  for (const id of r.updated) out.push(`${verb}updated ${id}`)
  for (const id of r.deleted) out.push(`${verb}deleted ${id}`)
  out.push(`${r.unchanged} unchanged; store revision ${r.revision}${opts.dryRun ? ' (dry run: nothing written)' : ''}`)
  process.stdout.write(out.join('\n') + '\n')
}

function registerPull(profiles: Command): void {
  profiles
    .command('pull')
    .description('write every profile of the KV store into a folder, one <id>.json each (as written, ${env:…} kept)')
    .argument('<dir>', 'folder to write into (created if missing)')
    .option(...NATS_OPTION)
    .action(async (dir: string, _opts: unknown, cmd: Command) => {
      await withNats(cmd, async ({ config, js }) => {
        const kv = await openProfileBucket(js, config.settings.nats.replicas)
        const { entries, revision } = await readBucket(kv)
        const folder = resolve(dir)
        await mkdir(folder, { recursive: true })
        for (const e of entries) await writeFile(join(folder, `${e.id}.json`), e.text ?? '')
        process.stdout.write(`${entries.length} profile(s) written to ${folder} (store revision ${revision})\n`)
      })
    })
}

function registerHistory(profiles: Command): void {
  withNatsOptions(
    profiles
      .command('history')
      .description("a profile's revisions in the KV store (the last 10): revision, time, put or delete")
      .argument('<id>', 'profile id'),
    'print [{ revision, at, operation }]',
  )
    .action(async (id: string, own: { json?: boolean }, cmd: Command) => {
      const opts = { json: wantsJson(own, cmd) }
      await withNats(cmd, async ({ config, js }) => {
        const kv = await openProfileBucket(js, config.settings.nats.replicas)
        const rows = (await keyHistory(kv, id)).map((e) => ({ revision: e.revision, at: e.at.toISOString(), operation: e.operation }))
        if (opts.json) {
          process.stdout.write(JSON.stringify(rows, null, 2) + '\n')
          return
        }
        if (!rows.length) fail(`no history for "${id}" in the profile store`)
        process.stdout.write(['REVISION  AT                        OPERATION', ...rows.map((r) => `${String(r.revision).padEnd(8)}  ${r.at.padEnd(24)}  ${r.operation}`)].join('\n') + '\n')
      })
    })
}

/** `--json` after the subcommand is parsed by `profiles` itself (the list has one too): read either. */
function wantsJson(own: { json?: boolean }, cmd: Command): boolean {
  return own.json === true || cmd.parent?.opts<{ json?: boolean }>().json === true
}

/** Adds push, pull and history under `profiles`. */
export function registerStoreCommands(profiles: Command): void {
  registerPush(profiles)
  registerPull(profiles)
  registerHistory(profiles)
}
