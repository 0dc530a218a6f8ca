// The daemon's and the CLI's connection to NATS, from the settings: servers, credentials,
// TLS; reconnecting forever, because a daemon that gives up on a restarting NATS loses
// nothing but stops delivering until someone notices.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { connect, credsAuthenticator, nkeyAuthenticator, type ConnectionOptions, type JetStreamManager, type NatsConnection } from 'nats'
import type { Settings } from '../config/settings'
import { CallbackRouterError } from '../errors'

export interface ConnectOptions {
  /** Overrides settings.nats.servers (a --nats flag). */
  servers?: string[]
  /** Folder that relative creds/nkey/TLS paths are read from (the settings file's). */
  baseDir?: string
  name?: string
  /** false for short-lived CLI commands: fail fast when nothing answers. */
  reconnectForever?: boolean
}

export function connectionOptions(settings: Settings, options: ConnectOptions = {}): ConnectionOptions {
  const base = options.baseDir ?? process.cwd()
  const file = (p: string): string => resolve(base, p)
  const nats = settings.nats
  const opts: ConnectionOptions = {
    servers: options.servers ?? nats.servers,
    name: options.name ?? 'callback-router',
    // Without it nats.js captures a stack (`new Error()`) for every request and its timeout:
    // each JetStream publish of a fan-out job or retry paid for two, 11 % of the daemon's
    // CPU on the fan-out path (bench profile). Our errors say what failed without them.
    noAsyncTraces: true,
  }
  if (options.reconnectForever !== false) {
    opts.maxReconnectAttempts = -1
    opts.reconnectTimeWait = 500
    opts.waitOnFirstConnect = false
  }
  const auth = nats.auth
  if (auth?.token) opts.token = auth.token
  if (auth?.user !== undefined) {
    opts.user = auth.user
    opts.pass = auth.pass
  }
  if (auth?.credsFile) opts.authenticator = credsAuthenticator(readFileSync(file(auth.credsFile)))
  else if (auth?.nkeySeedFile) opts.authenticator = nkeyAuthenticator(new TextEncoder().encode(readFileSync(file(auth.nkeySeedFile), 'utf8').trim()))
  const tls = nats.tls
  if (tls && (tls.ca || tls.cert || tls.key)) {
    opts.tls = {}
    if (tls.ca) opts.tls.caFile = file(tls.ca)
    if (tls.cert) opts.tls.certFile = file(tls.cert)
    if (tls.key) opts.tls.keyFile = file(tls.key)
  }
  return opts
}

/** Connects and checks that JetStream answers; throws NATS_NO_JETSTREAM otherwise. */
export async function connectNats(settings: Settings, options: ConnectOptions = {}): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const opts = connectionOptions(settings, options)
  const nc = await connect(opts)
  try {
    const jsm = await nc.jetstreamManager()
    return { nc, jsm }
  } catch (e) {
    await nc.close().catch(() => undefined)
    const message = (e as Error).message ?? String(e)
    if (/jetstream not enabled|503|no responders|not enabled/i.test(message) || (e as { code?: string }).code === '503') {
      throw new CallbackRouterError('NATS_NO_JETSTREAM', [(opts.servers as string[]).join(', '), message])
    }
    throw e
  }
}

/** The largest event the daemon accepts: the server's max_payload less 64 KiB, so a dead letter can always hold it. */
export const DEAD_LETTER_HEADROOM = 64 * 1024

export function maxEventBytes(nc: NatsConnection): number {
  const maxPayload = nc.info?.max_payload ?? 1024 * 1024
  return Math.max(0, maxPayload - DEAD_LETTER_HEADROOM)
}

/** JetStream answers 503 (or times out creating a replicated bucket) while a fresh cluster elects its leaders: a daemon started with it waits. */
export async function whileUnavailable<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn()
    } catch (e) {
      if (i >= 30 || !/503|unavailable|no responders|timeout/i.test(String((e as Error).message ?? e))) throw e
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
}

