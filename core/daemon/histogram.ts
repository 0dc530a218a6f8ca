// A histogram without labels for the hot path (callback_router_attempt_duration_seconds),
// registered in a prom-client Registry and exposed exactly as prom-client's Histogram
// exposes one (test/histogram.test.ts compares the two texts). prom-client's observe()
// builds a closure and a label object, checks and hashes the labels on every call: about
// 1.5 % of the daemon's CPU in the bench profile, here one loop over the bounds.
import type { Registry } from 'prom-client'

interface MetricValue {
  labels: Record<string, string | number>
  value: number
  metricName: string
}

export class FastHistogram {
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  private counts: number[] = []
  private sum = 0
  private count = 0

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registers: readonly Registry[],
  ) {
    this.reset()
    for (const r of registers) r.registerMetric(this as never)
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > bounds[i]) i++
    if (i < bounds.length) this.counts[i]++
    this.sum += value
    this.count++
  }

  /** The values as prom-client's Registry reads a metric: cumulative buckets, +Inf, sum, count. */
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const values: MetricValue[] = []
    let cumulative = 0
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i]
      values.push({ labels: { le: this.bounds[i] }, value: cumulative, metricName: `${this.name}_bucket` })
    }
    values.push({ labels: { le: '+Inf' }, value: this.count, metricName: `${this.name}_bucket` })
    values.push({ labels: {}, value: this.sum, metricName: `${this.name}_sum` })
    values.push({ labels: {}, value: this.count, metricName: `${this.name}_count` })
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values })
  }

  reset(): void {
    this.counts = this.bounds.map(() => 0)
    this.sum = 0
    this.count = 0
  }
}
