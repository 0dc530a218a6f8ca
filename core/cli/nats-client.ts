// What the NATS commands (publish, dead-letters, attempts) share: a short-lived connection
// from the settings, and the --nats option (tables: table.ts).
import type { Command } from 'commander'
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats'
import type { LoadedConfig } from '../config/settings'
import { connectNats } from '../jetstream/connection'
import { ensureStreams } from '../jetstream/streams'
import { fail, loadCliConfig } from './context'

export interface NatsSession {
  config: LoadedConfig
  nc: NatsConnection
  js: JetStreamClient
  jsm: JetStreamManager
}

/** Runs `fn` with a connection (servers from --nats, NATS_URL or the settings) and closes it. */
export async function withNats<T>(cmd: Command, fn: (s: NatsSession) => Promise<T>, options: { profiles?: boolean } = {}): Promise<T> {
  const config = await loadCliConfig(cmd, { settingsOnly: !options.profiles, tolerateErrors: true })
  const nats = (cmd.opts() as { nats?: string }).nats
  const servers = nats ? nats.split(',').map((s) => s.trim()).filter(Boolean) : undefined
  let session: { nc: NatsConnection; jsm: JetStreamManager }
  try {
    session = await connectNats(config.settings, { servers, baseDir: config.baseDir, reconnectForever: false, name: 'callback-router-cli' })
  } catch (e) {
    return fail(`cannot connect to NATS at ${(servers ?? config.settings.nats.servers).join(', ')}: ${(e as Error).message}`)
  }
  try {
    await ensureStreams(session.jsm, config.settings)
    return await fn({ config, nc: session.nc, js: session.nc.jetstream(), jsm: session.jsm })
  } finally {
    await session.nc.drain().catch(() => session.nc.close())
  }
}

export const NATS_OPTION = ['--nats <urls>', 'NATS server URLs, comma-separated (overrides NATS_URL and the settings)'] as const

/** The options of a command that reads NATS and prints JSON: `--json` (`json` says what it prints) and `--nats`. */
export function withNatsOptions(command: Command, json: string): Command {
  return command.option('--json', json).option(...NATS_OPTION)
}
