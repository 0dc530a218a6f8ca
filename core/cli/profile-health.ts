// `profiles pause <id>` / `profiles resume <id>`, and the health state shown by `profiles`:
// read and written in the KV bucket CALLBACK_PROFILE_STATE, which every daemon watches, so
// a pause made here is obeyed by all of them within a moment, and a resume makes them
// release the profile's held deliveries.
import type { Command } from 'commander'
import type { JetStreamClient } from 'nats'
import { pause, resume, type HealthState, type Transition } from '../delivery/breaker'
import type { LoadedConfig } from '../config/settings'
import { ProfileStates } from '../daemon/profile-state'
import { connectNats } from '../jetstream/connection'
import { heldCounts } from '../jetstream/held-jobs'
import { publishOpsEvent } from '../jetstream/ops-events'
import { NATS_OPTION, withNats } from './nats-client'
import { fail } from './context'

export interface StateView {
  state: 'closed' | 'open' | 'paused' | 'unknown'
  stateReason: string | null
}

/**
 * Every profile's health state, or null when NATS cannot be reached (a listing still
 * works offline; its rows then say `unknown`).
 */
export async function readStates(config: LoadedConfig, servers?: string[]): Promise<Map<string, HealthState> | null> {
  let session
  try {
    session = await connectNats(config.settings, { servers, baseDir: config.baseDir, reconnectForever: false, name: 'callback-router-cli' })
  } catch {
    return null
  }
  try {
    const states = await ProfileStates.open(session.nc.jetstream(), { replicas: config.settings.nats.replicas, watch: false })
    return new Map(config.profiles.map(({ profile }) => [profile.id, states.get(profile.id)]))
  } catch {
    return null
  } finally {
    await session.nc.close().catch(() => undefined)
  }
}

/** Applies an operator's pause or resume and announces it; null when the state already was that. */
export async function applyOperatorChange(js: JetStreamClient, replicas: number, profile: { id: string; account: string }, fn: (s: HealthState, now: number) => Transition | null, held: number): Promise<Transition | null> {
  const states = await ProfileStates.open(js, { replicas, watch: false })
  const t = await states.change(profile.id, (s) => fn(s, Date.now()))
  if (t?.event) await publishOpsEvent(js, { profile: profile.id, account: profile.account, event: t.event.name, reason: t.event.reason, at: new Date(t.next.since).toISOString(), held })
  return t
}

function operatorCommand(parent: Command, name: 'pause' | 'resume', description: string): void {
  parent
    .command(`${name} <id>`)
    .description(description)
    .option(...NATS_OPTION)
    .option('--json', 'print { id, state, stateReason, changed }')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await withNats(
        cmd,
        async ({ config, js, jsm }) => {
          const found = config.profiles.find((p) => p.profile.id === id)
          if (!found) fail(`profiles ${name}: no profile "${id}" in ${config.profilesDir}`)
          const held = (await heldCounts(jsm).catch(() => new Map<string, number>())).get(id) ?? 0
          const t = await applyOperatorChange(js, config.settings.nats.replicas, found.profile, name === 'pause' ? pause : resume, held)
          const states = await ProfileStates.open(js, { replicas: config.settings.nats.replicas, watch: false })
          const now = states.get(id)
          // `profiles` has a --json of its own, which commander gives the parent.
          if (opts.json || cmd.parent?.opts<{ json?: boolean }>().json) {
            process.stdout.write(JSON.stringify({ id, state: now.state, stateReason: now.reason, changed: t !== null }) + '\n')
            return
          }
          const what = name === 'pause' ? `paused: its deliveries are held (${held} now) until \`profiles resume ${id}\`` : `resumed: its ${held} held deliveries are released at its rate`
          process.stdout.write(t ? `${id} ${what}\n` : `${id} is already ${now.state}\n`)
        },
        { profiles: true },
      )
    })
}

export function register(profiles: Command): void {
  operatorCommand(profiles, 'pause', "holds the profile's deliveries on JetStream (every daemon obeys) until it is resumed")
  operatorCommand(profiles, 'resume', 'closes the profile and delivers every held event at its rate')
  for (const sub of profiles.commands) sub.exitOverride()
}
