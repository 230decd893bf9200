/**
 * What posting commit statuses to GitHub costs a run: the engine's per-step overhead for a chain of
 * gates with no reporter, and with the reporter posting to a local stand-in for GitHub's REST API
 * that answers at once, answers after 300 ms, or is down (503). Also how many statuses and calls
 * it took. Reproduce with: npx tsx bench/github-statuses.ts
 */
import { cpus } from 'node:os';
import { pino } from 'pino';
import type { GantryConfig } from '../src/config/types.js';
import type { PlannedStep } from '../src/domain/run.js';
import { systemClock } from '../src/kernel/clock.js';
import { EngineBus } from '../src/engine/events.js';
import { Executor } from '../src/engine/executor.js';
import type { StepHandler } from '../src/engine/step-handler.js';
import type { GateStepSpec } from '../src/engine/step-specs/index.js';
import { Redactor } from '../src/secrets/redactor.js';
import { EnvSecretSource } from '../src/secrets/source.js';
import { StatusReporter } from '../src/sources/github/status-reporter.js';
import { sqliteDialect } from '../src/store/sqlite/sqlite-dialect.js';
import { Store } from '../src/store/store.js';
import { FakeGitHub } from '../test/support/fake-github.js';

const GATES = Number(process.env.BENCH_GATES ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TOKEN = 'bench-token';
const REPO = 'bench/repo';
type Mode = 'no reporter' | 'GitHub answers at once' | 'GitHub answers after 300 ms' | 'GitHub down (503)';
const MODES: Mode[] = ['no reporter', 'GitHub answers at once', 'GitHub answers after 300 ms', 'GitHub down (503)'];

// A gate that passes at once: what is measured is the engine and the reporter, not the gate's command.
const gate: StepHandler = { kind: 'gate', run: async () => ({ kind: 'done' }) };
const names = Array.from({ length: GATES }, (_, i) => `g${i}`);
// A whole gate spec: the executor reads every gate step's spec with the gate schema before running it.
const gateSpec = (name: string): GateStepSpec => ({ v: 1, service: 'api', servicePath: 'api', gate: { name, run: 'true', timeoutMs: 60_000, retries: 0, env: {}, junit: undefined, coverage: undefined }, secrets: [], cacheKey: name, timeoutMs: 60_000 });
const steps: PlannedStep[] = names.map((name, i) => ({ key: `gate:api:${name}`, kind: 'gate', name: `api › ${name}`, service: 'api', needs: i === 0 ? [] : [`gate:api:${names[i - 1] ?? ''}`], spec: gateSpec(name), maxAttempts: 1 }));

async function measure(mode: Mode): Promise<{ msPerStep: number; duringRun: number; settled: number; calls: number; settleMs: number | null }> {
  const github = await FakeGitHub.start({ repo: REPO, token: TOKEN });
  if (mode === 'GitHub answers after 300 ms') github.latencyMs = 300;
  if (mode === 'GitHub down (503)') github.down = true;
  const bus = new EngineBus();
  const store = await Store.open(sqliteDialect(':memory:'));
  const logger = pino({ level: 'silent' });
  const executor = new Executor({ store, handlers: new Map([['gate', gate]]), bus, clock: systemClock, logger, redactor: () => new Redactor([]), concurrency: 4, leaseMs: 15_000, pollMs: 250 });
  const reporter = new StatusReporter({
    store, bus, logger,
    github: { repo: REPO, webhookSecret: { secret: 'UNUSED' }, token: { secret: 'GITHUB_TOKEN' }, apiUrl: github.url },
    secrets: new EnvSecretSource({ GANTRY_SECRET_GITHUB_TOKEN: TOKEN }),
    redactor: () => new Redactor([]),
    runUrl: (id) => `https://gantry.example/#/runs/${id}`,
    pinned: () => ({ services: {} }) as unknown as GantryConfig,
  });
  if (mode !== 'no reporter') reporter.start();
  executor.start();
  try {
    const start = performance.now();
    const run = await store.runs.create({ trigger: 'pull_request', branch: null, ref: 'pull/1/head', sha: 'a'.repeat(40), baseSha: null, environment: null, author: null, triggeredBy: 'bench', commitMessage: null, configJson: JSON.stringify({ services: { api: { gates: names.map((name) => ({ name })) } } }) }, { steps, notes: [] }, Date.now());
    bus.emit({ type: 'run', runId: run.id, state: run.state });
    executor.wake();
    const done = await executor.waitForRun(run.id, 600_000);
    const ended = performance.now();
    if (done.state !== 'succeeded') throw new Error(`run ${done.state}`);
    const duringRun = github.statuses.length;
    // Final statuses: one per gate plus gantry/run. Waits at most 60 s (not while GitHub is down).
    let settleMs: number | null = null;
    if (mode !== 'no reporter' && mode !== 'GitHub down (503)') {
      const deadline = Date.now() + 60_000;
      while ([...github.latest('a'.repeat(40)).values()].filter((s) => s.state !== 'pending').length < GATES + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      settleMs = performance.now() - ended;
    }
    return { msPerStep: (ended - start) / GATES, duringRun, settled: github.statuses.length, calls: github.hits.length, settleMs };
  } finally {
    await executor.stop();
    await reporter.stop();
    await store.close();
    await github.close();
  }
}

console.log(`Gantry GitHub commit statuses benchmark — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
console.log(`command: npx tsx bench/github-statuses.ts   (a chain of ${GATES} gates that pass at once, SQLite in memory, the stand-in GitHub on 127.0.0.1; median of ${ROUNDS} interleaved rounds)\n`);
console.log('| GitHub | engine overhead per gate | statuses posted while the run ran | statuses posted in all | API calls | all final statuses there after the run |');
console.log('| --- | --- | --- | --- | --- | --- |');
// Interleaved rounds, the median shown: the machine's other load moves single figures a lot.
const results = new Map<Mode, Array<Awaited<ReturnType<typeof measure>>>>(MODES.map((m) => [m, []]));
for (let round = 0; round < ROUNDS; round += 1) for (const mode of MODES) results.get(mode)?.push(await measure(mode));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
for (const mode of MODES) {
  const rs = results.get(mode) ?? [];
  const m = (f: (r: (typeof rs)[number]) => number | null): number => median(rs.map((r) => f(r) ?? NaN));
  const none = mode === 'no reporter';
  const settle = m((r) => r.settleMs);
  console.log(`| ${mode} | ${m((r) => r.msPerStep).toFixed(2)} ms | ${none ? '-' : m((r) => r.duringRun)} | ${none ? '-' : m((r) => r.settled)} | ${m((r) => r.calls)} | ${Number.isNaN(settle) ? '-' : `${(settle / 1000).toFixed(1)} s`} |`);
}
// plugin-retry's waits (1, 4, 9 s) of the down case hold no run; they are not waited for here.
process.exit(0);
