import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { createSigner } from '../core/render/sign'
import { formatMultipart } from '../core/render/formats'

const enc = new TextEncoder()

/** The three headers as compileProfile's render sets them, from the same signer. */
function signHeaders(webhookId: string, timestamp: number, body: Uint8Array, secrets?: string | readonly string[]): Record<string, string> {
  const headers: Record<string, string> = { 'webhook-id': webhookId, 'webhook-timestamp': String(timestamp) }
  if (secrets !== undefined) headers['webhook-signature'] = createSigner(secrets)(webhookId, timestamp, body)
  return headers
}

t.test("reproduces the Standard Webhooks specification's published example exactly", async (t) => {
  // https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
  const h = signHeaders('msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, enc.encode('{"test": 2432232314}'), 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')
  t.same(h, {
    'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp': '1614265330',
    'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  })
})

t.test('webhook-id and webhook-timestamp are always set; no signature without a secret', async (t) => {
  t.same(signHeaders('evt:prof', 1700000000, new Uint8Array()), { 'webhook-id': 'evt:prof', 'webhook-timestamp': '1700000000' })
})

t.test('the standardwebhooks library verifies our signature over the exact bytes', async (t) => {
  const secret = 'whsec_' + Buffer.from('a-32-byte-secret-for-the-tests!!').toString('base64')
  const now = Math.floor(Date.now() / 1000)
  const body = enc.encode('{"id":"msg-1","text":"héllo ✓"}')
  const headers = signHeaders('evt_1:acme', now, body, secret)
  t.same(new Webhook(secret).verify(Buffer.from(body).toString('utf8'), headers), JSON.parse('{"id":"msg-1","text":"héllo ✓"}'))
})

t.test('a multipart body a formatter produced is signed as those bytes and verifies', async (t) => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
  const now = Math.floor(Date.now() / 1000)
  const { body } = formatMultipart([['id', 'msg-1'], ['text', 'line1\r\nline2 ✓']], 'BOUNDARY123')
  const headers = signHeaders('evt_2:acme', now, body, secret)
  const wh = new Webhook(secret)
  t.doesNotThrow(() => wh.verify(Buffer.from(body), headers, { jsonParse: false }))
  t.equal(headers['webhook-signature'], wh.sign('evt_2:acme', new Date(now * 1000), Buffer.from(body)), 'the library signs the same bytes identically')
  const tampered = { ...headers, 'webhook-signature': createSigner(secret)('evt_2:acme', now, enc.encode('other')) }
  t.throws(() => wh.verify(Buffer.from(body), tampered, { jsonParse: false }), { name: 'WebhookVerificationError' })
})

t.test('several secrets during a rotation give one v1 entry each, space-separated, each verifying', async (t) => {
  const old = 'whsec_' + Buffer.from('old-secret-old-secret-old-secret').toString('base64')
  const fresh = 'whsec_' + Buffer.from('new-secret-new-secret-new-secret').toString('base64')
  const now = Math.floor(Date.now() / 1000)
  const body = enc.encode('{"a":1}')
  const h = signHeaders('evt_3:p', now, body, [old, fresh])
  const entries = h['webhook-signature'].split(' ')
  t.equal(entries.length, 2)
  for (const e of entries) t.match(e, /^v1,[A-Za-z0-9+/]{43}=$/)
  t.same(new Webhook(old).verify('{"a":1}', h), { a: 1 })
  t.same(new Webhook(fresh).verify('{"a":1}', h), { a: 1 })
})
