/* Generated from schemas/profile.schema.json by npm run gen:types. Do not edit. */

/**
 * A callback profile: where, when and how the events of one account and channel are delivered. One profile per file in profilesDir. Any string value may contain ${env:NAME}, expanded when the file is loaded.
 */
export interface Profile {
  /**
   * Path or URL of this schema, for editors. Ignored by the daemon.
   */
  $schema?: string
  /**
   * Unique id across all profile files: lower-case letters, digits, '_' and '-'. Events may name it in their 'profile' field; it is part of the webhook-id header.
   */
  id: string
  /**
   * Human title, searchable: letters, digits, spaces, hyphens and underscores only, 3 to 100 characters (the reference page's rule).
   */
  title: string
  /**
   * The tenant that owns this profile. Only events of the same account reach it.
   */
  account: string
  /**
   * The channel plugin: sms, email, voice, whatsapp, default, or an external plugin's name. Omitted: default (the reference page's default channel). A profile is locked to its channel: changing it on reload or in the console is refused; create a new profile instead.
   */
  channel?: string
  /**
   * The channel's events this profile receives, matched ignoring case and read as the catalog spells them. Omitted: all of them. For the default channel: bare event names of any channel (omitted: every event).
   *
   * @minItems 1
   */
  events?: [string, ...string[]]
  /**
   * A disabled profile receives nothing; events naming it become dead letters (profile_disabled).
   */
  enabled?: boolean
  /**
   * HTTP method. GET and DELETE carry variables in the endpoint's query string only and have no body.
   */
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /**
   * http or https URL without user info (use auth.basic). <name> placeholders may stand in the path and query only (never in scheme, host or port); their values are URL-encoded.
   */
  endpoint: string
  /**
   * Body template for POST, PUT and PATCH. json: a JSON value with <name> placeholders in strings, or a string of pasted JSON text where a bare <name> in value position keeps the variable's type. urlencoded and form: a flat object of field -> template (urlencoded also takes a template string). Omitted: json sends the event's data with the envelope under _event; urlencoded and form send every variable as a flat dotted key.
   */
  body?: {} | unknown[] | string
  /**
   * Body format: json (application/json), urlencoded (application/x-www-form-urlencoded), form (multipart/form-data), or a format a plugin adds.
   */
  format?: string
  /**
   * Extra request headers, name -> value template. Names must be HTTP tokens and not reserved (Host, Content-Length, Transfer-Encoding, Connection, Expect, Upgrade, TE, Trailer, Keep-Alive, webhook-*; any case); values must be visible Latin-1 without control characters. A Content-Type here wins over the format's, except with form.
   */
  headers?: {
    [k: string]: string
  }
  /**
   * Authentication added to every request: basic, or oauth2 client credentials (the reference platform's advanced authentication).
   */
  auth?: BasicAuth | Oauth2Auth
  /**
   * Retry policy. Omitted: the channel's standard policy (count = the channel's cap, the channel's interval).
   */
  retry?: {
    /**
     * Retries after the first attempt, 0 up to the channel's cap. Omitted: the channel's cap.
     */
    count?: number
    /**
     * Wait before the first retry, in seconds (may be fractional). Omitted: the channel's interval. The channel's backoff (fixed or exponential) applies.
     */
    intervalSeconds?: number
    /**
     * Time limit of one attempt, from connect to the last body byte, in milliseconds.
     */
    timeoutMs?: number
    /**
     * Stretches each wait by a random factor in [1, 1 + jitter], never shorter than scheduled, so retries of many events do not arrive together. Omitted: 0 for fixed backoff, 0.2 for exponential.
     */
    jitter?: number
  }
  health?: Health
  /**
   * Per profile and per daemon process. Omitted: delivery.defaultRateLimit of the settings.
   */
  rateLimit?: {
    /**
     * No sliding one-second window holds more request starts than this.
     */
    perSecond?: number
    /**
     * At most this many requests in flight.
     */
    maxConcurrent?: number
  }
  /**
   * Per-parameter AES encryption: each listed variable's value is replaced by base64(iv? || ciphertext || tag?) before the body is rendered.
   */
  encryption?: {
    /**
     * AES key size and mode.
     */
    algorithm: 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' | 'aes-128-cfb' | 'aes-192-cfb' | 'aes-256-cfb'
    /**
     * The key: a UTF-8 string of exactly 16, 24 or 32 bytes, or hex:... / base64:... . Use ${env:NAME}.
     */
    key: string
    /**
     * "random" (a fresh IV per value, prepended to the ciphertext), or a fixed IV: 16 bytes for CFB, 12 (or 16) for GCM, as UTF-8, hex:... or base64:... . A fixed IV with GCM reuses the nonce (validate warns).
     */
    iv: string
    /**
     * Variable names whose values are encrypted (nested a.b allowed).
     *
     * @minItems 1
     */
    parameters: [string, ...string[]]
  }
  /**
   * Standard Webhooks signature: webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>.
   */
  signing?: {
    /**
     * whsec_<base64> secret of at least 24 bytes, or a list of them during a rotation (one v1 signature each).
     */
    secret: string | [string, ...string[]]
  }
}
/**
 * HTTP Basic authentication.
 */
export interface BasicAuth {
  /**
   * basic
   */
  type: 'basic'
  /**
   * User name; must not contain ':'.
   */
  username: string
  /**
   * Password. Use ${env:NAME}.
   */
  password: string
}
/**
 * OAuth2 client credentials: a token is fetched from tokenUrl, cached until expires_in, and sent as Authorization: Bearer.
 */
export interface Oauth2Auth {
  /**
   * oauth2
   */
  type: 'oauth2'
  /**
   * http or https URL of the token endpoint (subject to the network policy), without user info.
   */
  tokenUrl: string
  /**
   * client_id.
   */
  clientId: string
  /**
   * client_secret. Use ${env:NAME}.
   */
  clientSecret: string
  /**
   * body: client_id and client_secret in the form body; basic: HTTP Basic on the token request.
   */
  clientAuth?: 'body' | 'basic'
  /**
   * Optional scope parameter.
   */
  scope?: string
  /**
   * Dotted path of the token in the token response.
   */
  tokenPath?: string
  /**
   * Extra headers on the token request, under the same rules as the profile's headers.
   */
  headers?: {
    [k: string]: string
  }
}
/**
 * Endpoint health for this profile: overrides delivery.health of the settings, key by key.
 */
export interface Health {
  /**
   * Consecutive failed attempts (all daemons counted) that open the breaker; 0: no breaker.
   */
  breakerFailures?: number
  /**
   * How long the breaker stays open before one probe; doubled after each failed probe, at most 600 s.
   */
  breakerOpenSeconds?: number
  /**
   * The breaker open this long pauses the profile (until resumed); 0: never.
   */
  pauseAfterMinutes?: number
  /**
   * A held event older than this becomes a held_expired dead letter (replayable).
   */
  holdHours?: number
  /**
   * A 410 Gone answer pauses the profile.
   */
  pauseOnGone?: boolean
}
