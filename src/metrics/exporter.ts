import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Clock } from '../kernel/clock.js';
import type { DeploymentStat, GateStat, WaitingStat } from '../store/repositories/dora-repository.js';
import type { Store } from '../store/store.js';
import { CountedHistogram, type CountedSeries } from './counted-histogram.js';
import { DeploymentTotals } from './deployment-totals.js';
import { computeDora } from '../domain/dora/report.js';
import type { DoraReport } from '../domain/dora/types.js';
import { registerDoraGauges } from './dora-gauges.js';
import { DAY_MS } from '../domain/dora/window.js';
import { registerRouterMetrics, type TrafficSource } from './router-metrics.js';

/** Deployment durations, seconds: a rolling update takes seconds, blue-green with a watch window minutes. */
export const DEPLOYMENT_DURATION_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];
export const DEFAULT_EXPORTER_DORA_WINDOW_MS = 30 * DAY_MS;

const FINISHED = new Set(['succeeded', 'failed', 'rolled-back']);
const WAITING_KIND: Readonly<Record<string, string>> = { approval: 'deploy', watch: 'analysis' };

export interface ExporterOptions {
  readonly store: Store;
  readonly clock: Clock;
  /** The environments and their services, read at every scrape (DORA gauges are per environment). */
  readonly environments: () => ReadonlyArray<{ readonly name: string; readonly services: readonly string[] }>;
  readonly doraWindowMs?: number;
  /** The routers' per-revision counters, from the agents that run (none are started for a scrape). */
  readonly routerTraffic?: TrafficSource;
  /** Runs awaiting a person, by the engine's one rule (engine/awaiting-decision.ts), which also decides the approvals list. */
  readonly waiting: () => Promise<readonly WaitingStat[]>;
}

/** What one scrape reads from the store, once, shared by every metric's collect(). */
interface Snapshot {
  readonly deployments: readonly DeploymentStat[];
  readonly gates: readonly GateStat[];
  readonly waiting: readonly WaitingStat[];
  readonly dora: readonly DoraReport[];
}

/**
 * Prometheus metrics computed at scrape time from the store, so a restarted server reports the
 * same counters, in a registry of its own (never prom-client's global one). Each metric's
 * collect() reads one snapshot taken per scrape; scrapes run one at a time.
 */
export class MetricsExporter {
  readonly registry = new Registry();
  private current: Promise<Snapshot> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly totals: DeploymentTotals;

  constructor(private readonly o: ExporterOptions) {
    this.totals = new DeploymentTotals(o.store.dora, DEPLOYMENT_DURATION_BUCKETS.map((s) => s * 1000));
    // The server process's own figures under their standard names (process_*, nodejs_*), as every
    // Node exporter and Grafana's Node.js dashboards expect them: no gantry_ prefix.
    collectDefaultMetrics({ register: this.registry });
    if (o.routerTraffic) registerRouterMetrics(this.registry, o.routerTraffic);
    const snapshot = (): Promise<Snapshot> => this.current ?? this.load();
    const registers = [this.registry];
    new Counter({
      name: 'gantry_deployments_total',
      help: 'Finished deployments by environment, service and result (succeeded, failed, rolled-back).',
      labelNames: ['environment', 'service', 'result'],
      registers,
      async collect() {
        const totals = sumBy((await snapshot()).deployments.filter((d) => FINISHED.has(d.state)), (d) => [d.environment, d.service, d.state], (d) => d.count);
        this.reset();
        for (const [[environment = '', service = '', result = ''], n] of totals) this.inc({ environment, service, result }, n);
      },
    });
    new Counter({
      name: 'gantry_rollbacks_total',
      help: 'Rollbacks by environment and service: automatic (a deployment rolled back) and manual (a rollback deployment).',
      labelNames: ['environment', 'service'],
      registers,
      async collect() {
        const totals = sumBy((await snapshot()).deployments, (d) => [d.environment, d.service], (d) => d.manualRollbacks + (d.state === 'rolled-back' ? d.count : 0));
        this.reset();
        for (const [[environment = '', service = ''], n] of totals) if (n > 0) this.inc({ environment, service }, n);
      },
    });
    new CountedHistogram({
      name: 'gantry_deployment_duration_seconds',
      help: 'Time from a deployment starting to its end (succeeded, failed or rolled back).',
      labelNames: ['environment', 'service'],
      buckets: DEPLOYMENT_DURATION_BUCKETS,
      registry: this.registry,
      read: async () => durationSeries((await snapshot()).deployments),
    });
    new Counter({
      name: 'gantry_gate_results_total',
      help: 'Finished CI gate steps by service, gate and result (succeeded, failed).',
      labelNames: ['service', 'gate', 'result'],
      registers,
      async collect() {
        this.reset();
        for (const g of (await snapshot()).gates) this.inc({ service: g.service, gate: g.gate, result: g.state }, g.count);
      },
    });
    new Gauge({
      name: 'gantry_approvals_waiting',
      help: 'Runs waiting for a person, by environment and kind (deploy approval, paused analysis).',
      labelNames: ['environment', 'kind'],
      registers,
      async collect() {
        this.reset();
        for (const w of (await snapshot()).waiting) this.set({ environment: w.environment, kind: WAITING_KIND[w.kind] ?? w.kind }, w.count);
      },
    });
    registerDoraGauges(this.registry, async () => (await snapshot()).dora);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text of every metric, from one fresh read of the store. */
  async metrics(): Promise<string> {
    const scrape = async (): Promise<string> => {
      this.current = this.load();
      try {
        return await this.registry.metrics();
      } finally {
        this.current = undefined;
      }
    };
    const result = this.queue.then(scrape, scrape);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async load(): Promise<Snapshot> {
    const { store, clock } = this.o;
    const now = clock.now();
    const windowMs = this.o.doraWindowMs ?? DEFAULT_EXPORTER_DORA_WINDOW_MS;
    const dora: DoraReport[] = [];
    for (const env of this.o.environments()) {
      const records = await store.dora.deployments(env.name, now - windowMs, now);
      dora.push(computeDora(records, { environment: env.name, now, windowMs, services: env.services }));
    }
    const [deployments, gates, waiting] = [await this.totals.read(now), await store.dora.gateStats(), await this.o.waiting()];
    return { deployments, gates, waiting, dora };
  }
}

function sumBy<T>(items: readonly T[], key: (item: T) => string[], value: (item: T) => number): Array<[string[], number]> {
  const totals = new Map<string, [string[], number]>();
  for (const item of items) {
    const k = key(item);
    const id = JSON.stringify(k);
    const entry = totals.get(id);
    if (entry) entry[1] += value(item);
    else totals.set(id, [k, value(item)]);
  }
  return [...totals.values()];
}

function durationSeries(stats: readonly DeploymentStat[]): CountedSeries<'environment' | 'service'>[] {
  const series = new Map<string, { labels: { environment: string; service: string }; counts: number[]; sum: number }>();
  for (const d of stats) {
    if (d.bucket < 0) continue;
    const id = `${d.environment}\u0000${d.service}`;
    let s = series.get(id);
    if (!s) series.set(id, (s = { labels: { environment: d.environment, service: d.service }, counts: new Array<number>(DEPLOYMENT_DURATION_BUCKETS.length + 1).fill(0), sum: 0 }));
    s.counts[d.bucket] = (s.counts[d.bucket] ?? 0) + d.count;
    s.sum += d.durationMs / 1000;
  }
  return [...series.values()];
}
