// The profiles a command works on come from the active store: the files of profilesDir, or
// with `profileStore: "kv"` the bucket CALLBACK_PROFILES, each value checked like a file.
import type { LoadedConfig } from '../config/settings'
import { checkKvValue, PROFILE_BUCKET } from '../config/kv-profiles'
import { diagnostic } from '../diagnostics'
import { connectNats } from '../jetstream/connection'
import { openProfileBucket, readBucket } from '../jetstream/profile-bucket'

/** Fills `config.profiles` from the bucket when the KV store is active; the files otherwise stay. */
export async function loadKvProfiles(config: LoadedConfig, env: NodeJS.ProcessEnv = process.env, servers?: string[]): Promise<LoadedConfig> {
  if (config.settings.profileStore !== 'kv') return config
  let session
  try {
    session = await connectNats(config.settings, { servers, baseDir: config.baseDir, reconnectForever: false, name: 'callback-router-cli' })
  } catch (e) {
    config.diagnostics.push(diagnostic('error', 'CONFIG_KV_UNREACHABLE', config.settingsFile, '/profileStore', [PROFILE_BUCKET, (e as Error).message]))
    return config
  }
  try {
    const kv = await openProfileBucket(session.nc.jetstream(), config.settings.nats.replicas)
    const { entries } = await readBucket(kv)
    for (const e of entries) {
      const checked = checkKvValue(e.id, e.text ?? '', config.registry, env)
      config.diagnostics.push(...checked.diagnostics)
      if (checked.loaded) config.profiles.push(checked.loaded)
    }
  } catch (e) {
    config.diagnostics.push(diagnostic('error', 'CONFIG_KV_UNREACHABLE', config.settingsFile, '/profileStore', [PROFILE_BUCKET, (e as Error).message]))
  } finally {
    await session.nc.close().catch(() => undefined)
  }
  return config
}
