/**
 * DORA over a big history: 1,000,000 deployments (3 environments × 8 services, a year of
 * releases) in a SQLite store on disk, then the DORA computation as the API runs it — the
 * repository's one query plus the pure formulas — over a 30-day window and over every row.
 * Reproduce with: npx tsx bench/dora.ts   (knobs: BENCH_DORA_ROWS, BENCH_DORA_ROUNDS)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Insertable } from 'kysely';
import { computeDora, DAY_MS, HOUR_MS } from '../src/domain/dora/index.js';
import { waitingForPeople } from '../src/engine/awaiting-decision.js';
import { MetricsExporter } from '../src/metrics/exporter.js';
import type { DeploymentTable, ReleaseTable, RunTable } from '../src/store/schema.js';
import { sqliteDialect } from '../src/store/sqlite/sqlite-dialect.js';
import { Store } from '../src/store/store.js';
import { systemClock } from '../src/kernel/clock.js';

const ROWS = Number(process.env.BENCH_DORA_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_DORA_ROUNDS ?? 5);
const ENVIRONMENTS = ['dev', 'staging', 'production'] as const;
const SERVICES = ['nest-api', 'billing', 'workflows', 'web-admin', 'web-rider', 'notifier', 'pricing', 'fleet'];
const NOW = Date.UTC(2026, 10, 26, 12);
const SPAN_MS = 365 * DAY_MS;
/** Rows per INSERT: 14 columns × 2,000 stays under SQLite's 32,766 bound parameters. */
const BATCH = 2_000;

/** A small seeded PRNG (mulberry32): the same history on every run, so figures compare. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Each release goes to dev, then staging, then production, every service; a few fail, roll back or are hotfixes. */
async function generate(store: Store): Promise<{ releases: number; runs: number; deployments: number }> {
  const rand = random(42);
  const perRelease = ENVIRONMENTS.length * SERVICES.length;
  const releases = Math.ceil(ROWS / perRelease);
  const step = SPAN_MS / releases;
  let deployments = 0;
  let runs = 0;
  await store.db.transaction().execute(async (trx) => {
    const releaseRows: Insertable<ReleaseTable>[] = [];
    const runRows: Insertable<RunTable>[] = [];
    const deploymentRows: Insertable<DeploymentTable>[] = [];
    // A deployment references its release (a foreign key): releases and runs go in before each deployment batch.
    const flush = async (force: boolean): Promise<void> => {
      if (deploymentRows.length < BATCH && !force) return;
      for (let i = 0; i < releaseRows.length; i += BATCH) await trx.insertInto('releases').values(releaseRows.slice(i, i + BATCH)).execute();
      for (let i = 0; i < runRows.length; i += BATCH) await trx.insertInto('runs').values(runRows.slice(i, i + BATCH)).execute();
      for (let i = 0; i < deploymentRows.length; i += BATCH) await trx.insertInto('deployments').values(deploymentRows.slice(i, i + BATCH)).execute();
      releaseRows.length = runRows.length = deploymentRows.length = 0;
    };
    for (let r = 0; r < releases && deployments < ROWS; r++) {
      // The year ends three days before NOW, so every deployment (production comes up to two days after its commit) is in the past.
      const committedAt = Math.round(NOW - 3 * DAY_MS - SPAN_MS + r * step);
      const sha = r.toString(16).padStart(40, '0');
      const hotfix = rand() < 0.02;
      releaseRows.push({ id: r + 1, sha, run_id: null, committed_at: committedAt, created_at: committedAt + 5 * 60_000 });
      for (const [e, environment] of ENVIRONMENTS.entries()) {
        const startedAt = committedAt + [10 * 60_000, HOUR_MS, 4 * HOUR_MS][e]! + Math.round(rand() * (e === 2 ? 2 * DAY_MS : HOUR_MS));
        const runId = ++runs;
        runRows.push({ id: runId, trigger: 'push', branch: hotfix ? `hotfix/r${r}` : 'main', ref: hotfix ? `hotfix/r${r}` : 'main', sha, base_sha: null, environment, state: 'succeeded', notes: '[]', author: 'dev', triggered_by: 'git push', commit_message: null, commit_time: committedAt, config_json: null, error_json: null, cancel_requested: 0, created_at: startedAt, started_at: startedAt, finished_at: startedAt + 10 * 60_000 });
        for (const [s, service] of SERVICES.entries()) {
          if (deployments >= ROWS) break;
          const createdAt = startedAt + s * 60_000;
          const roll = rand();
          const state = roll < 0.03 ? 'rolled-back' : roll < 0.04 ? 'failed' : 'succeeded';
          const manual = state === 'succeeded' && roll > 0.985 && r > 1;
          deploymentRows.push({ environment, service, release_id: r + 1, digest: `sha256:${sha}`, revision: r + 1, previous_revision: r === 0 ? null : r, strategy: 'rolling', run_id: runId, triggered_by: 'git push', state, reason: manual ? `rollback to r${r - 1}: bench` : state === 'succeeded' ? null : 'watch failed', created_at: createdAt, finished_at: createdAt + 60_000 + Math.round(rand() * 9 * 60_000) });
          deployments++;
        }
        await flush(false);
      }
    }
    await flush(true);
  });
  return { releases, runs, deployments };
}

async function time<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** The API's work: load the window's rows, then the formulas. Split so the table shows where time goes. */
async function dora(store: Store, environment: string, windowMs: number): Promise<{ queryMs: number; computeMs: number; rows: number; cfr: number | null }> {
  const q = await time(() => store.dora.deployments(environment, NOW - windowMs, NOW));
  const c = await time(async () => computeDora(q.value, { environment, now: NOW, windowMs, services: SERVICES }));
  return { queryMs: q.ms, computeMs: c.ms, rows: q.value.length, cfr: c.value.overall.changeFailureRate.rate };
}

async function measure(label: string, run: () => Promise<{ queryMs: number; computeMs: number; rows: number; cfr?: number | null }>): Promise<string> {
  await run(); // warm: page cache, JIT
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) samples.push(await run());
  const q = median(samples.map((s) => s.queryMs));
  const c = median(samples.map((s) => s.computeMs));
  const total = median(samples.map((s) => s.queryMs + s.computeMs));
  return `| ${label} | ${samples[0]?.rows.toLocaleString('en-US')} | ${q.toFixed(1)} | ${c.toFixed(1)} | **${total.toFixed(1)}** |`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-bench-dora-'));
  const store = await Store.open(sqliteDialect(join(dir, 'gantry.db')));
  try {
    const made = await time(() => generate(store));
    console.log(`generated ${made.value.deployments.toLocaleString('en-US')} deployments, ${made.value.runs.toLocaleString('en-US')} runs, ${made.value.releases.toLocaleString('en-US')} releases in ${(made.ms / 1000).toFixed(1)} s (batches of ${BATCH}, one transaction)`);
    const all = SPAN_MS + 7 * DAY_MS;
    const rows = [
      await measure('production, 30 days', () => dora(store, 'production', 30 * DAY_MS)),
      await measure('production, every row (365 days)', () => dora(store, 'production', all)),
      await measure('all 3 environments, every row', async () => {
        const parts = [];
        for (const env of ENVIRONMENTS) parts.push(await dora(store, env, all));
        return { queryMs: parts.reduce((s, p) => s + p.queryMs, 0), computeMs: parts.reduce((s, p) => s + p.computeMs, 0), rows: parts.reduce((s, p) => s + p.rows, 0) };
      }),
    ];
    const exporter = new MetricsExporter({ store, clock: { ...systemClock, now: () => NOW }, environments: () => ENVIRONMENTS.map((name) => ({ name, services: SERVICES })), waiting: () => waitingForPeople(store) });
    // The first scrape after a start counts the whole history; later ones only what changed since.
    const first = await time(() => exporter.metrics());
    const scrape = await measure('/metrics scrape, steady (counters kept + DORA of 3 environments, 30 days)', async () => {
      const t = await time(() => exporter.metrics());
      return { queryMs: t.ms, computeMs: 0, rows: made.value.deployments };
    });
    const cold = `| /metrics scrape, first after a start (whole history counted) | ${made.value.deployments.toLocaleString('en-US')} | ${first.ms.toFixed(1)} | 0.0 | **${first.ms.toFixed(1)}** |`;
    console.log(`\nDORA, median of ${ROUNDS} rounds after one warm-up; Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}\n`);
    console.log('| what | rows read | query ms | formulas ms | total ms |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const line of [...rows, cold, scrape]) console.log(line);
    console.log('\nAim: ≤ 200 ms for the 30-day window. Reproduce: npx tsx bench/dora.ts');
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
