// Secrets never reach the log: pino redacts them wherever they sit in a logged object.
import t from 'tap'
import { Writable } from 'node:stream'
import { createLogger } from '../core/logger'

t.test('authorization headers, secrets, passwords and keys are redacted', async (t) => {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString())
      cb()
    },
  })
  const log = createLogger('info', sink)
  log.info({ request: { headers: { authorization: 'Bearer s3cret-token' } }, profile: { auth: { password: 'hunter2' }, signing: { secret: 'whsec_abc' }, encryption: { key: 'k'.repeat(32) } } }, 'attempt')
  const text = lines.join('')
  for (const secret of ['s3cret-token', 'hunter2', 'whsec_abc', 'k'.repeat(32)]) t.notMatch(text, secret, `${secret.slice(0, 6)}… is not logged`)
  t.match(text, /\[redacted\]/)
})
