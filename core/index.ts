// The package's programmatic surface: the plugin contract for channel teams, and the
// pieces an application needs to embed the daemon or check profiles itself.
export type { ChannelPlugin, EventSpec, VariableSpec, VariableType, RetryPolicy, Formatter, FormattedBody, RenderedFields } from './plugin/contract'
export { checkPlugin } from './plugin/contract'
export type { Profile } from './generated/profile'
export type { RouterConfig } from './generated/router-config'
export type { CallbackEvent } from './generated/event'
export { loadConfig, type LoadedConfig, type Settings } from './config/settings'
export { checkProfile } from './config/profile-check'
export { formatDiagnostic, type Diagnostic } from './diagnostics'
export { compileProfile, type CompiledProfile, type OutgoingRequest } from './render/compile'
export { startDaemon, type Daemon, type DaemonOptions } from './daemon/start'
export { CallbackRouterError, type ErrorCode, type DeadLetterReason } from './errors'
