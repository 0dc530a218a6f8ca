// What a daemon shares with the others on the same NATS (DESIGN "Several daemons"), with
// `profileStore: "kv"`: the profiles of CALLBACK_PROFILES, watched, and its membership in
// CALLBACK_DAEMONS (the rate limits' shares). Joined before the consumers start, so that no
// request goes out before this daemon knows its share. With the files store every daemon
// may hold different profiles, so no limit can be shared: each daemon limits alone.
import type { NatsConnection } from 'nats'
import type { LoadedConfig } from '../config/settings'
import type { Logger } from '../logger'
import { startKvProfiles, type KvProfiles } from './kv-profiles'
import { DAEMONS_BUCKET, startMembership, type Membership } from './membership'
import { PROFILE_BUCKET } from '../config/kv-profiles'
import type { DaemonMetrics } from './metrics'
import { whileUnavailable } from '../jetstream/connection'

export interface Cluster {
  /** With the KV store only: shared limits need the same profiles on every daemon. */
  membership?: Membership
  /** The KV profile store, when it is the active one. */
  kv?: KvProfiles
  /** Leaves at once (a start that failed half-way). */
  leave(): Promise<void>
}

export async function joinCluster(nc: NatsConnection, loaded: LoadedConfig, o: { env: NodeJS.ProcessEnv; logger: Logger; metrics: DaemonMetrics; reload: () => unknown }): Promise<Cluster> {
  const { settings, registry } = loaded
  const js = nc.jetstream()
  let kv: KvProfiles | undefined
  if (settings.profileStore === 'kv') {
    kv = await whileUnavailable(() => startKvProfiles({
      js,
      replicas: settings.nats.replicas,
      registry,
      env: o.env,
      defaultTimeoutMs: settings.delivery.defaultTimeoutMs,
      logger: o.logger,
      onRefused(id, lines) {
        o.metrics.profilesRefused.inc()
        for (const line of lines) o.logger.error({ profile: id, error: line }, 'profile store value refused: the profile keeps its last good version')
      },
      onChange(_profiles, revision) {
        o.metrics.profilesRevision.set(revision)
        void o.reload()
      },
      onRestart: () => o.metrics.kvWatchRestarts.inc({ bucket: PROFILE_BUCKET }),
    }))
    o.metrics.profilesRevision.set(kv.revision())
  }
  if (!kv) return { leave: async () => undefined }
  const membership = await whileUnavailable(() => startMembership({
    js,
    replicas: settings.nats.replicas,
    logger: o.logger,
    onCount: (n) => o.metrics.daemons.set(n),
    onRestart: () => o.metrics.kvWatchRestarts.inc({ bucket: DAEMONS_BUCKET }),
  }))
  return {
    membership,
    kv,
    async leave() {
      kv?.stop()
      await membership.stop()
    },
  }
}
