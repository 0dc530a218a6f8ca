/* Generated from schemas/router-config.schema.json by npm run gen:types. Do not edit. */

/**
 * Daemon settings (config/callback-router.json). Paths are relative to this file. NATS_URL and CALLBACK_ROUTER_CONFIG override the file; command-line flags override both.
 */
export interface RouterConfig {
  /**
   * Path or URL of this schema, for editors. Ignored by the daemon.
   */
  $schema?: string
  /**
   * Connection to NATS and the JetStream streams the daemon creates.
   */
  nats?: {
    /**
     * Server URLs. NATS_URL (comma-separated) overrides.
     *
     * @minItems 1
     */
    servers?: [string, ...string[]]
    /**
     * Events are read from <prefix>.<channel>.<event>.
     */
    subjectPrefix?: string
    /**
     * JetStream duplicate window: a repeated Nats-Msg-Id within it is dropped.
     */
    duplicateWindowSeconds?: number
    /**
     * Replication of every stream (3 on a NATS cluster).
     */
    replicas?: number
    /**
     * Limits of the streams. Events and jobs refuse new messages at their limits (discard new); attempts and dead letters drop the oldest.
     */
    streams?: {
      /**
       * CALLBACK_EVENTS size limit in bytes; -1 unlimited.
       */
      eventsMaxBytes?: number
      /**
       * CALLBACK_JOBS size limit in bytes; -1 unlimited.
       */
      jobsMaxBytes?: number
      /**
       * How long attempt records are kept (default 7 days).
       */
      attemptsMaxAgeSeconds?: number
      /**
       * CALLBACK_ATTEMPTS size limit in bytes (oldest dropped); -1 unlimited.
       */
      attemptsMaxBytes?: number
      /**
       * How long dead letters are kept (default 30 days).
       */
      deadMaxAgeSeconds?: number
      /**
       * CALLBACK_DEAD size limit in bytes (oldest dropped); -1 unlimited.
       */
      deadMaxBytes?: number
    }
    /**
     * Credentials: token, user and pass, a creds file, or an nkey seed file. Values may use ${env:NAME}.
     */
    auth?: {
      /**
       * Token authentication.
       */
      token?: string
      /**
       * User name.
       */
      user?: string
      /**
       * Password.
       */
      pass?: string
      /**
       * Path of a .creds file (JWT and nkey seed).
       */
      credsFile?: string
      /**
       * Path of a file holding an nkey seed.
       */
      nkeySeedFile?: string
    }
    /**
     * TLS to NATS: CA bundle, and client certificate and key for mutual TLS.
     */
    tls?: {
      /**
       * Path of the CA bundle.
       */
      ca?: string
      /**
       * Path of the client certificate.
       */
      cert?: string
      /**
       * Path of the client key.
       */
      key?: string
    }
    /**
     * The local nats-server that `start --embedded-nats` runs when nothing answers at the first server URL.
     */
    embedded?: {
      /**
       * The nats-server executable (searched in PATH, then /usr/sbin).
       */
      binary?: string
      /**
       * JetStream store folder.
       */
      dataDir?: string
    }
  }
  /**
   * Folder of profile files (*.json), one profile per file.
   */
  profilesDir?: string
  /**
   * Where the daemon reads profiles: files (profilesDir, watched) or kv (the NATS key-value bucket CALLBACK_PROFILES, filled by `profiles push`, watched by every daemon).
   */
  profileStore?: 'files' | 'kv'
  /**
   * Module paths (relative to this file) or package names of external channel plugins. The built-ins always load.
   */
  plugins?: string[]
  /**
   * Delivery engine settings.
   */
  delivery?: {
    /**
     * Deliveries handled at once per daemon process, across profiles. A delivery waiting for its profile's rate-limit slot gives its place back, so one throttled or hanging profile cannot hold them all; each profile's requests stay within its own maxConcurrent.
     */
    concurrency?: number
    /**
     * Attempt timeout for profiles without retry.timeoutMs.
     */
    defaultTimeoutMs?: number
    /**
     * Rate limit for profiles without rateLimit.
     */
    defaultRateLimit?: {
      /**
       * Request starts per sliding second.
       */
      perSecond?: number
      /**
       * Requests in flight.
       */
      maxConcurrent?: number
    }
    /**
     * Longest Retry-After honoured on 429 and 503.
     */
    maxRetryAfterSeconds?: number
    /**
     * How much of a response body is read (for logs and the attempt log); the rest is discarded.
     */
    maxResponseBytes?: number
    /**
     * On SIGTERM, how long in-flight deliveries may take before the daemon exits anyway (unfinished ones are redelivered).
     */
    shutdownGraceSeconds?: number
    /**
     * Endpoint health, shared by every daemon through the KV bucket CALLBACK_PROFILE_STATE: the breaker, pauses, held events. A profile's health overrides it key by key.
     */
    health?: {
      /**
       * Consecutive failed attempts of a profile (all daemons counted) that open its breaker; 0: no breaker.
       */
      breakerFailures?: number
      /**
       * How long an open breaker sends nothing before one probe; doubled after each failed probe, at most 600 s. A 2xx probe closes it.
       */
      breakerOpenSeconds?: number
      /**
       * A breaker open this long pauses the profile until it is resumed; 0: never.
       */
      pauseAfterMinutes?: number
      /**
       * A held event (breaker open or profile paused) older than this becomes a held_expired dead letter, which dead-letters replay can send.
       */
      holdHours?: number
      /**
       * A 410 Gone answer pauses the profile (Standard Webhooks: the receiver asks to stop).
       */
      pauseOnGone?: boolean
    }
  }
  /**
   * Outbound network policy. Loopback, private, link-local, CGNAT, multicast, unspecified and metadata addresses are refused unless allow-listed.
   */
  network?: {
    /**
     * CIDRs (10.0.0.0/8, ::1/128), addresses, or host names exempt from the refusal.
     */
    allow?: string[]
  }
  /**
   * The status server: /healthz, /readyz, /metrics and the console.
   */
  status?: {
    /**
     * Listen address.
     */
    host?: string
    /**
     * Listen port; 0 picks a free port.
     */
    port?: number
    /**
     * false: no status server.
     */
    enabled?: boolean
  }
  /**
   * The web console under /console on the status server. Requests need CALLBACK_ROUTER_CONSOLE_TOKEN.
   */
  console?: {
    /**
     * Serve the console.
     */
    enabled?: boolean
  }
  /**
   * Logging (pino, JSON lines on stdout).
   */
  log?: {
    /**
     * Lowest level written.
     */
    level?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  }
}
