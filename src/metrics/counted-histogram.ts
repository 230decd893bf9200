import { Histogram, type Registry } from 'prom-client';

/** One label set's histogram, counted elsewhere (by the store): counts per bucket, not cumulative. */
export interface CountedSeries<L extends string> {
  readonly labels: Readonly<Partial<Record<L, string>>>;
  /** `counts[i]` observations fell at or under `buckets[i]` and above the bound before; one more slot for +Inf. */
  readonly counts: readonly number[];
  readonly sum: number;
}

interface RenderedValue {
  readonly labels: Readonly<Partial<Record<string, string | number>>>;
  readonly value: number;
  readonly metricName: string;
}

export interface CountedHistogramOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly buckets: readonly number[];
  readonly registry: Registry;
  /** Called at every scrape: the series as they stand now. */
  readonly read: () => Promise<readonly CountedSeries<L>[]>;
}

/**
 * A Prometheus histogram whose buckets the store counts (one GROUP BY), where prom-client's own
 * Histogram can only count observations made in this process, one `observe()` each: replaying a
 * million deployments per scrape would cost seconds. prom-client 15's Registry renders a metric
 * from `getForPromString()` when it has one (lib/registry.js) and its JSON from `get()`; both
 * answer from `read()` here. test/integration/dora-api.test.ts pins the rendered text.
 */
export class CountedHistogram<L extends string> extends Histogram<L> {
  private readonly spec: CountedHistogramOptions<L>;

  constructor(options: CountedHistogramOptions<L>) {
    super({ name: options.name, help: options.help, labelNames: options.labelNames, buckets: [...options.buckets], registers: [options.registry] });
    this.spec = options;
  }

  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: RenderedValue[] }> {
    const { name, help, buckets } = this.spec;
    const values: RenderedValue[] = [];
    for (const series of await this.spec.read()) {
      let cumulative = 0;
      for (let i = 0; i <= buckets.length; i++) {
        cumulative += series.counts[i] ?? 0;
        values.push({ labels: { ...series.labels, le: i < buckets.length ? (buckets[i] ?? 0) : '+Inf' }, value: cumulative, metricName: `${name}_bucket` });
      }
      values.push({ labels: series.labels, value: series.sum, metricName: `${name}_sum` });
      values.push({ labels: series.labels, value: cumulative, metricName: `${name}_count` });
    }
    return { name, help, type: 'histogram', aggregator: 'sum', values };
  }

  // The typings declare `type` as a numeric enum the library never uses at run time, hence the cast.
  override async get(): ReturnType<Histogram<L>['get']> {
    return (await this.getForPromString()) as unknown as Awaited<ReturnType<Histogram<L>['get']>>;
  }
}
