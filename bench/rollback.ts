/**
 * Rollback time: from the failing check (a watch window that sees the new revision's errors) to
 * 100 % of requests on the previous revision. Reproduce with: npx tsx bench/rollback.ts
 * Real server (in process), real agent process, real router; traffic from 4 loops on loopback.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startServer } from '../src/server/gantry-server.js';
import { fixtureRepo, pushChange } from '../test/support/fixture-repo.js';
import { faultConfig, serviceFiles } from '../test/support/deploy-fixture.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PORT = 31_900;

interface Sample {
  readonly sentAt: number;
  readonly version: string;
}

async function traffic(url: string, stop: { done: boolean }, samples: Sample[]): Promise<void> {
  const loop = async (): Promise<void> => {
    while (!stop.done) {
      const sentAt = Date.now();
      try {
        const res = await fetch(url);
        const text = await res.text();
        samples.push({ sentAt, version: res.status === 200 ? ((JSON.parse(text) as { version: string }).version ?? '?') : `status ${res.status}` });
      } catch {
        samples.push({ sentAt, version: 'error' });
      }
    }
  };
  await Promise.all([loop(), loop(), loop(), loop()]);
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'gantry-bench-rollback-'));
  const config = faultConfig(PORT, 5_000);
  const repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('good') });
  const configPath = join(root, 'server.yaml');
  await writeFile(configPath, config.replace('url: .', `url: ${repo.originDir}`));
  let token = '';
  const server = await startServer({ configPath, dataDir: join(root, 'data'), port: 0, logger: pino({ level: 'silent' }), sourcePollMs: 3_600_000, executorPollMs: 50, onBootstrapToken: (t) => (token = t) });
  const api = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> =>
    (await server.app.inject({ method, url: path, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) })).json<T>();
  const url = `http://127.0.0.1:${PORT}/`;
  const results: number[] = [];
  try {
    for (let round = 0; round <= ROUNDS; round++) {
      const bad = round > 0;
      if (bad) await pushChange(repo, `feature/bad-${round}`, serviceFiles(`bad-${round}`, 'errors'), `bad ${round}`, 'main');
      const samples: Sample[] = [];
      const stop = { done: false };
      const load = traffic(url, stop, samples);
      const { run } = await api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'prod', ref: bad ? `feature/bad-${round}` : 'main' });
      let state = '';
      let steps: Array<{ key: string; state: string; finishedAt: string | null }> = [];
      while (!['succeeded', 'failed', 'cancelled'].includes(state)) {
        await new Promise((r) => setTimeout(r, 50));
        const view = await api<{ run: { state: string }; steps: typeof steps }>('GET', `/api/v1/runs/${run.id}`);
        state = view.run.state;
        steps = view.steps;
      }
      await new Promise((r) => setTimeout(r, 300));
      stop.done = true;
      await load;
      if (!bad) continue;
      const failedCheck = Date.parse(steps.find((s) => s.key === 'watch:prod')?.finishedAt ?? '');
      const lastBad = Math.max(...samples.filter((s) => s.version !== 'good').map((s) => s.sentAt));
      results.push(Math.max(0, lastBad - failedCheck));
      console.error(`round ${round}: ${state}; last request not served by the previous revision was sent ${lastBad - failedCheck} ms after the failing check`);
    }
  } finally {
    await server.close({ stopAgents: true });
    await rm(root, { recursive: true, force: true });
  }
  const sorted = [...results].sort((a, b) => a - b);
  console.log(`Gantry rollback benchmark — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
  console.log(`command: npx tsx bench/rollback.ts   (${ROUNDS} bad releases, blue-green, failing watch window, 4 request loops)\n`);
  console.log('| measure | ms |');
  console.log('| --- | --- |');
  console.log(`| median, failing check → 100 % on the previous revision | ${sorted[Math.floor(sorted.length / 2)] ?? '-'} |`);
  console.log(`| worst of ${sorted.length} | ${sorted.at(-1) ?? '-'} |`);
  console.log(`\naim: ≤ 100 ms → ${(sorted.at(-1) ?? Infinity) <= 100 ? 'met' : 'NOT met'}`);
}

await main();
