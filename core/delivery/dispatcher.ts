// The one HTTP client of delivery: an undici Agent with a keep-alive pool per origin, the
// network-policy connector, and no redirect handling (undici 7 follows none unless a
// redirect interceptor is composed in, and none is). Deliveries, the OAuth2 token request
// and `callback-router test` share it, so all of them obey the same policy.
import { Agent, type Dispatcher } from 'undici'
import { createPolicyConnector, type LookupFn } from './network-policy'

export interface DispatcherOptions {
  /** Resolver override, for tests of DNS answers (default: the system resolver). */
  lookup?: LookupFn
  /** Idle keep-alive sockets are closed after this long; default 30 s. */
  keepAliveTimeoutMs?: number
  /** Sockets per origin; default unlimited (the rate limiter bounds concurrency). */
  connectionsPerOrigin?: number
}

export function createDispatcher(policy: { allow?: readonly string[] }, options: DispatcherOptions = {}): Dispatcher {
  return new Agent({
    connect: createPolicyConnector({ allow: policy.allow ?? [], lookup: options.lookup }),
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: Math.max(options.keepAliveTimeoutMs ?? 30_000, 60_000),
    connections: options.connectionsPerOrigin ?? null,
    // The attempt's AbortSignal bounds the whole exchange; these are only backstops.
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  })
}
