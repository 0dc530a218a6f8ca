// The daemon's hot-path histogram is exposed exactly as prom-client's Histogram exposes the
// same observations: bucket bounds, +Inf, sum and count, after a reset too.
import t from 'tap'
import { Histogram, Registry } from 'prom-client'
import { FastHistogram } from '../core/daemon/histogram'

const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

function pair(): { ours: FastHistogram; theirs: Histogram<string>; text: () => Promise<[string, string]>; reg: Registry } {
  const a = new Registry()
  const b = new Registry()
  const ours = new FastHistogram('x_seconds', 'Duration of one thing.', BOUNDS, [a])
  const theirs = new Histogram({ name: 'x_seconds', help: 'Duration of one thing.', buckets: BOUNDS, registers: [b] })
  return { ours, theirs, reg: a, text: async () => [await a.metrics(), await b.metrics()] }
}

t.test('the same text as prom-client: empty, on every bound, between, above the last, zero and fractions', async (t) => {
  const { ours, theirs, text } = pair()
  const [emptyOurs, emptyTheirs] = await text()
  t.equal(emptyOurs, emptyTheirs, 'identical before any observation')
  t.match(emptyOurs, /x_seconds_bucket\{le="\+Inf"\} 0/)
  const values = [0, 0.001, ...BOUNDS, ...BOUNDS.map((b) => b * 1.5), 61, 1000, 0.0049999, 0.3333]
  for (let i = 0; i < 500; i++) values.push(Math.random() * Math.random() * 70)
  for (const v of values) {
    ours.observe(v)
    theirs.observe(v)
  }
  const [a, b] = await text()
  t.equal(a, b, 'identical exposition')
})

t.test('after a reset the counts start again, as prom-client\'s do', async (t) => {
  const { ours, theirs, text, reg } = pair()
  for (const v of [0.2, 3, 45]) {
    ours.observe(v)
    theirs.observe(v)
  }
  reg.resetMetrics()
  theirs.reset()
  for (const v of [0.007, 0.7]) {
    ours.observe(v)
    theirs.observe(v)
  }
  const [a, b] = await text()
  t.equal(a, b)
  t.match(a, /x_seconds_count 2/)
})

t.test('a value that is not a number is not counted (prom-client throws; the hot path must not)', async (t) => {
  const { ours, text } = pair()
  ours.observe(Number.NaN)
  ours.observe(Number.POSITIVE_INFINITY)
  ours.observe(0.02)
  const [a] = await text()
  t.match(a, /x_seconds_count 1\n/)
  t.match(a, /x_seconds_sum 0.02\n/)
})
