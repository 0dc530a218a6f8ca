// `start`: runs the daemon until SIGTERM/SIGINT; SIGHUP reloads the profiles.
// `--embedded-nats` runs a local nats-server when nothing answers at the configured URL.
import type { Command } from 'commander'
import { loadSettings, resolveConfigFile } from '../config/settings'
import { startDaemon, type Daemon } from '../daemon/start'
import { ensureEmbeddedNats, type EmbeddedNats } from '../daemon/embedded-nats'
import { createLogger, type Logger } from '../logger'
import { startStatusServer, type StatusServer } from '../daemon/status-server'
import { mountConsole, type DaemonConsole } from '../console/mount'
import { CallbackRouterError } from '../errors'
import { fail, globalOptions } from './context'

interface StartOptions {
  embeddedNats?: boolean
  nats?: string
}

export function register(program: Command): void {
  program
    .command('start')
    .description('run the daemon: events on NATS in, callbacks out (SIGHUP reloads profiles, SIGTERM stops)')
    .option('--embedded-nats', 'start a local nats-server (JetStream) when none answers at the configured URL')
    .option('--nats <urls>', 'NATS server URLs, comma-separated (overrides NATS_URL and the settings)')
    .action((opts: StartOptions, cmd: Command) => runStart(opts, resolveConfigFile(globalOptions(cmd).config)))
}

async function runStart(opts: StartOptions, configFile: string): Promise<void> {
  const { settings } = await loadSettings(configFile)
  const logger = createLogger(settings?.log.level ?? 'info')
  let natsServers = opts.nats ? opts.nats.split(',').map((s) => s.trim()).filter(Boolean) : undefined

  let embedded: EmbeddedNats | undefined
  if (opts.embeddedNats && settings) {
    const { dirname } = await import('node:path')
    if (natsServers) settings.nats.servers = natsServers as [string, ...string[]]
    try {
      embedded = await ensureEmbeddedNats(settings, { baseDir: dirname(configFile), log: (msg) => logger.info(msg) })
    } catch (e) {
      return fail((e as Error).message)
    }
    natsServers = [embedded.url]
  }

  let daemon: Daemon
  try {
    daemon = await startDaemon({ configFile, natsServers, logger })
  } catch (e) {
    await embedded?.stop()
    if (e instanceof CallbackRouterError && e.code === 'DAEMON_CONFIG') return fail((e.details!.lines as string[]).join('\n'))
    return fail(`cannot start: ${(e as Error).message}`)
  }

  const served = await serve(daemon, logger, embedded)
  await runUntilStopped(daemon, logger)
  await served.status?.close()
  await served.webConsole?.close()
  await embedded?.stop()
}

/** The status server and the web console, as the settings ask (a failure to start one stops everything and fails the command). */
async function serve(daemon: Daemon, logger: Logger, embedded: EmbeddedNats | undefined): Promise<{ status?: StatusServer; webConsole?: DaemonConsole }> {
  const loaded = daemon.config()
  let status: StatusServer | undefined
  if (loaded.settings.status.enabled) {
    try {
      status = await startStatusServer(daemon, { host: loaded.settings.status.host, port: loaded.settings.status.port })
      logger.info({ url: status.url }, 'status server listening (/healthz, /readyz, /metrics)')
    } catch (e) {
      logger.error({ err: e }, 'status server could not start')
      await daemon.stop()
      await embedded?.stop()
      return fail(`status server: ${(e as Error).message}`)
    }
  }
  // The web console (console.enabled) lives on the status server under /console.
  let webConsole: DaemonConsole | undefined
  if (loaded.settings.console.enabled && !status) logger.warn('console.enabled needs the status server (status.enabled): the console is not served')
  if (loaded.settings.console.enabled && status) {
    try {
      webConsole = mountConsole(status, daemon, { log: logger })
      logger.info({ url: `${status.url}/console/` }, 'web console listening')
    } catch (e) {
      if (!(e instanceof CallbackRouterError && e.exitCode !== undefined)) throw e
      logger.error({ code: e.code }, e.message)
      await status.close()
      await daemon.stop()
      await embedded?.stop()
      return fail(`console: ${e.message}`)
    }
  }
  return { status, webConsole }
}

/** SIGTERM/SIGINT stop the daemon, SIGHUP reloads; resolves once it has stopped. */
async function runUntilStopped(daemon: Daemon, logger: Logger): Promise<void> {
  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'stopping: no new pulls, finishing in-flight deliveries')
    void daemon.stop()
  }
  const onHup = (): void => {
    void daemon.reload()
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)
  process.on('SIGHUP', onHup)
  await daemon.closed
  process.off('SIGTERM', shutdown)
  process.off('SIGINT', shutdown)
  process.off('SIGHUP', onHup)
}
