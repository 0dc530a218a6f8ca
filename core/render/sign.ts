// Standard Webhooks headers (https://www.standardwebhooks.com/): webhook-id and
// webhook-timestamp on every request; webhook-signature `v1,<base64 HMAC-SHA256 of
// "id.timestamp.body">` per secret, space-separated, when the profile signs.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'

const PREFIX = 'whsec_'

/** The HMAC key of a `whsec_<base64>` secret (the prefix is optional, as in the spec's libraries). */
export function secretKey(secret: string): KeyObject {
  const b64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret
  return createSecretKey(Buffer.from(b64, 'base64'))
}

export type Signer = (webhookId: string, timestamp: number, body: Uint8Array) => string

/** Decodes the secrets once; the signer returns the webhook-signature header value. */
export function createSigner(secrets: string | readonly string[]): Signer {
  const keys = (typeof secrets === 'string' ? [secrets] : secrets).map(secretKey)
  return (webhookId, timestamp, body) => {
    const prefix = `${webhookId}.${timestamp}.`
    let out = ''
    for (const key of keys) {
      const mac = createHmac('sha256', key).update(prefix).update(body).digest('base64')
      out += (out === '' ? 'v1,' : ' v1,') + mac
    }
    return out
  }
}
