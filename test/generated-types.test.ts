import t from 'tap'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

t.test('core/generated matches a fresh generation from schemas/', async (t) => {
  const r = spawnSync(process.execPath, [join(__dirname, '..', 'scripts', 'gen-types.mjs'), '--check'], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
})
