/**
 * What an aborted canary costs its users, per traffic router, in one run: a release that fails every
 * real request goes out as a canary (10 % → analysis → …) under steady load, and the analysis aborts
 * it at 10 %. For the built-in router and for a real HAProxy driven through its runtime API, each
 * round reports:
 *   - the share of all requests that failed from the deploy step's start to the run's end;
 *   - the time from the failed analysis to the canary at weight 0 (setWeights answered and
 *     verifyWeights applied), as the deploy step logs it;
 *   - the time from the failed analysis to the last failed answer the load generator saw (what
 *     users saw, including requests already in flight on the canary).
 * Reproduce with: npm run bench:canary (builds the server first). Knobs: BENCH_CANARY_ROUNDS (default 5),
 * BENCH_CANARY_CONNECTIONS (default 4). HAProxy's row is skipped when haproxy is not installed.
 */
import { execFileSync } from 'node:child_process';
import type { ScratchRepo } from '../src/cli/demo/scratch-repo.js';
import type { RunView, StepView } from '../src/server/views.js';
import { canaryConfig } from '../test/support/canary-config.js';
import { serviceFiles } from '../test/support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../test/support/fixture-repo.js';
import { freePort } from '../test/support/free-port.js';
import { startHaproxy, type HaproxyProcess } from '../test/support/haproxy.js';
import { TempDirs, until } from '../test/support/temp.js';
import { startTestServer, type TestServer } from '../test/support/test-server.js';
import { TimedLoad } from '../test/support/timed-load.js';
import { machine } from './router.js';

const ROUNDS = Number(process.env.BENCH_CANARY_ROUNDS ?? '5');
const CONNECTIONS = Number(process.env.BENCH_CANARY_CONNECTIONS ?? '4');

interface Round {
  readonly requests: number;
  readonly failed: number;
  readonly share: number;
  readonly toWeightZeroMs: number;
  readonly toLastFailureMs: number;
}

interface RouterUnderTest {
  readonly name: string;
  start(temp: TempDirs): Promise<{ routerYaml: string; userUrl: (port: number) => string }>;
  stop(): Promise<void>;
}

let proxy: HaproxyProcess | undefined;
const ROUTERS: RouterUnderTest[] = [
  { name: 'built-in', start: async () => ({ routerYaml: '', userUrl: (port) => `http://127.0.0.1:${port}/` }), stop: async () => undefined },
  {
    name: 'haproxy',
    start: async (temp) => {
      proxy = await startHaproxy(temp, 'prod_api', 'prod_api_match');
      const p = proxy;
      return { routerYaml: `    router:\n      kind: haproxy\n      runtimeApi: ${p.runtimeApi}\n      url: ${p.url}\n      matchBackend: prod_api_match\n`, userUrl: () => `${p.url}/` };
    },
    stop: async () => {
      await proxy?.stop();
      proxy = undefined;
    },
  },
];

const hasHaproxy = (): boolean => {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

async function measure(router: RouterUnderTest): Promise<Round[]> {
  const temp = new TempDirs();
  const root = await temp.make();
  const port = await freePort();
  const started = await router.start(temp);
  const config = canaryConfig(port, started.routerYaml);
  const repo: ScratchRepo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') });
  const t: TestServer = await startTestServer(root, repo, config);
  const url = started.userUrl(port);
  try {
    const dispatch = async (): Promise<number> => (await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod', ref: 'main' })).body.run.id;
    const first = await t.finished(await dispatch(), 120_000);
    if (first.run.state !== 'succeeded') throw new Error(`the first deployment failed: ${JSON.stringify(first.run.error)}`);
    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      await pushChange(repo, 'main', serviceFiles(`bad${i}`, 'fails-requests'), `bad release ${i}`, 'main');
      const load = new TimedLoad(url, CONNECTIONS, 5);
      load.start();
      const id = await dispatch();
      const began = await until(`run #${id}'s deploy step to start`, async () => {
        const steps = (await t.api<{ steps: StepView[] }>('GET', `/api/v1/runs/${id}`)).body.steps;
        return steps.some((s) => s.kind === 'deploy' && s.state !== 'pending') ? Date.now() : undefined;
      }, 120_000, 10);
      const done = await t.finished(id, 120_000);
      const ended = Date.now();
      await load.stop();
      if (done.run.error?.code !== 'ANALYSIS_FAILED') throw new Error(`round ${i}: expected the analysis to abort the canary, the run ended ${done.run.state} ${JSON.stringify(done.run.error)}`);
      const lines = (await t.api<{ lines: Array<{ text: string; at: string }> }>('GET', `/api/v1/runs/${id}/logs?step=deploy:prod:api`)).body.lines;
      const failedAt = Date.parse(lines.find((l) => / failed: .* fails /.test(l.text))?.at ?? '');
      const zero = lines.map((l) => /at weight 0 (\d+) ms after the failed analysis/.exec(l.text)).find((m) => m !== null);
      const lastFailure = Math.max(...load.answers.filter((a) => !a.ok).map((a) => a.at));
      const window = load.within(began, ended);
      rounds.push({ requests: window.total, failed: window.failed, share: window.share, toWeightZeroMs: Number(zero?.[1] ?? NaN), toLastFailureMs: lastFailure - failedAt });
      console.log(`${router.name} round ${i + 1}: ${window.failed}/${window.total} failed (${(window.share * 100).toFixed(2)} %), weight 0 after ${zero?.[1] ?? '?'} ms, last failed answer ${lastFailure - failedAt} ms after the failed analysis`);
    }
    return rounds;
  } finally {
    await t.server.close({ stopAgents: true });
    await router.stop();
    await temp.cleanup();
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? NaN;
};
const fmt = (xs: readonly number[], unit: string, digits = 0): string => `${median(xs).toFixed(digits)} ${unit} (max ${Math.max(...xs).toFixed(digits)})`;

const results: Array<{ name: string; rounds: Round[] }> = [];
for (const router of ROUTERS) {
  if (router.name === 'haproxy' && !hasHaproxy()) {
    console.log('haproxy is not installed: its row is skipped');
    continue;
  }
  results.push({ name: router.name, rounds: await measure(router) });
}
console.log(`\nbench/canary.ts — ${new Date().toISOString().slice(0, 10)}, ${machine()}; ${ROUNDS} aborted canaries per router, ${CONNECTIONS} load connections\n`);
console.log('| router | requests in the canary (median) | failed share, median (max) | failed analysis → weight 0, median (max) | failed analysis → last failed answer, median (max) |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(`| ${r.name} | ${median(r.rounds.map((x) => x.requests))} | ${fmt(r.rounds.map((x) => x.share * 100), '%', 2)} | ${fmt(r.rounds.map((x) => x.toWeightZeroMs), 'ms')} | ${fmt(r.rounds.map((x) => x.toLastFailureMs), 'ms')} |`);
}
