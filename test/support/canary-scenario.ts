import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import type { RunView, StepView } from '../../src/server/views.js';
import { canaryConfig } from './canary-config.js';
import { runCli } from './cli.js';
import { serviceFiles } from './deploy-fixture.js';
import { fixtureRepo, pushChange } from './fixture-repo.js';
import { TempDirs, until } from './temp.js';
import { startTestServer, type TestServer } from './test-server.js';
import { TimedLoad } from './timed-load.js';

/** What differs between traffic routers: what must run beside Gantry, the environment's `router:` block, and where users reach the service. */
export interface CanaryRouterSetup {
  readonly name: string;
  /** Starts what the router needs (a real HAProxy) and says how gantry.yaml names it (lines under the environment, or '' for the built-in router) and the users' URL. */
  start(port: number, temp: TempDirs): Promise<{ readonly routerYaml: string; readonly userUrl: string }>;
  stop?(): Promise<void>;
}

interface Run {
  run: RunView;
  steps: StepView[];
}

/**
 * Canary end to end through a traffic router, as a user drives it: dispatches over the API, a load
 * generator on the users' URL, `gantry promote` and `gantry abort` as processes, the audit log read
 * back. The same scenario runs for every router that can split traffic.
 */
export function canaryScenario(setup: CanaryRouterSetup): void {
  describe(`canary through the ${setup.name} router`, () => {
    const temp = new TempDirs();
    const port = 30_000 + Math.floor(Math.random() * 40) * 50 + Number(process.env.VITEST_POOL_ID ?? '0') % 3;
    let t: TestServer;
    let repo: ScratchRepo;
    let cli: (args: string[]) => ReturnType<typeof runCli>;
    let url = '';
    const run = async (id: number): Promise<Run> => (await t.api<Run>('GET', `/api/v1/runs/${id}`)).body;
    const dispatch = async (ref: string): Promise<number> => (await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod', ref })).body.run.id;
    const deployStep = (r: Run) => r.steps.find((s) => s.kind === 'deploy');
    const paused = (id: number) =>
      until(`run #${id}'s canary to pause for a promotion`, async () => {
        const r = await run(id);
        if (r.run.state === 'failed') throw new Error(`run #${id} failed: ${JSON.stringify(r.run.error)}\n${(await cli(['logs', String(id), 'deploy:prod:api'])).stdout}`);
        return (deployStep(r)?.message ?? '').includes('paused') ? true : undefined;
      }, 60_000, 50);
    const versions = async (n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const v = ((await (await fetch(url, { headers })).json()) as { version: string }).version;
        seen[v] = (seen[v] ?? 0) + 1;
      }
      return seen;
    };
    const audit = async (kind: string) => (await t.api<{ events: Array<{ kind: string; actor: string; runId: number | null; data: Record<string, unknown> }> }>('GET', '/api/v1/audit?limit=500')).body.events.filter((e) => e.kind === kind);

    beforeAll(async () => {
      const root = await temp.make();
      const router = await setup.start(port, temp);
      url = router.userUrl;
      const config = canaryConfig(port, router.routerYaml);
      repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') });
      t = await startTestServer(root, repo, config);
      cli = (args) => runCli(args, { CI: 'true', GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token });
      // The first deployment has no stable revision to compare with: it takes all traffic at once.
      const first = await t.finished(await dispatch('main'), 90_000);
      expect(first.run.state, JSON.stringify(first.run.error)).toBe('succeeded');
    }, 120_000);
    afterAll(async () => {
      await t?.server.close({ stopAgents: true });
      await setup.stop?.();
      await temp.cleanup();
    });

    it('walks a good release through its steps: 10 %, analysis, 50 % with testers on the canary by header, paused until `gantry promote`, then 100 %', async () => {
      await pushChange(repo, 'main', serviceFiles('v2'), 'v2', 'main');
      // The analysis judges the canary by its own traffic: without users it would prove nothing.
      const load = new TimedLoad(url, 4, 5);
      load.start();
      const id = await dispatch('main');
      await paused(id).finally(() => load.stop());
      expect(deployStep(await run(id))?.message).toMatch(/step 4\/4 \(pause until promoted\).*50 % of main traffic/);
      const split = await versions(200);
      expect(split.v2 ?? 0).toBeGreaterThan(60);
      expect(split.v1 ?? 0).toBeGreaterThan(60);
      expect(await versions(20, { 'x-canary': 'always' })).toEqual({ v2: 20 });
      // Promoting needs the deployer role for the environment: an approver may not.
      const made = await cli(['token', 'create', '--user', 'ann', '--role', 'approver', '--output', 'json']);
      const ann = (JSON.parse(made.stdout) as { token: string }).token;
      const refused = await runCli(['promote', String(id)], { CI: 'true', GANTRY_SERVER: t.server.url, GANTRY_TOKEN: ann });
      expect([refused.code, refused.stderr]).toEqual([3, expect.stringMatching(/promoting a canary .*needs the deployer:prod role/)]);
      expect(deployStep(await run(id))?.message).toContain('paused');
      const promoted = await cli(['promote', String(id), '--comment', 'looks good']);
      expect(promoted.code, promoted.stderr).toBe(0);
      expect(promoted.stdout).toContain('promoted api r');
      const done = await t.finished(id, 60_000);
      expect(done.run.state, JSON.stringify(done.run.error)).toBe('succeeded');
      expect(await versions(40)).toEqual({ v2: 40 });
      const [event] = await audit('canary.promoted');
      expect(event).toMatchObject({ actor: 'admin', runId: id, data: { environment: 'prod', comment: 'looks good' } });
      // A promotion of a run that is over is refused, and says so.
      const late = await cli(['promote', String(id)]);
      expect([late.code, late.stderr]).toEqual([1, expect.stringContaining('already succeeded')]);
    }, 120_000);

    it('aborts a release that fails only under real traffic at 10 %, by analysis, with under 2 % of all requests failed over the canary', async () => {
      await pushChange(repo, 'main', serviceFiles('v3', 'fails-requests'), 'v3 breaks under traffic', 'main');
      const load = new TimedLoad(url, 4, 5);
      load.start();
      const id = await dispatch('main');
      let began = 0;
      await until(`run #${id}'s deploy step to start`, async () => {
        const step = deployStep(await run(id));
        if (step && step.state !== 'pending') began = Date.now();
        return began > 0 ? true : undefined;
      }, 60_000, 20);
      const done = await t.finished(id, 60_000);
      const ended = Date.now();
      await load.stop();
      expect(done.run.state).toBe('failed');
      expect(done.run.error?.code).toBe('ANALYSIS_FAILED');
      expect(done.steps.find((s) => s.kind === 'rollback')?.state).toBe('succeeded');
      const canary = load.within(began, ended);
      console.log(`${setup.name}: ${canary.failed} of ${canary.total} requests failed during the canary (${(canary.share * 100).toFixed(2)} %)`);
      expect(canary.total).toBeGreaterThan(50);
      expect(canary.share).toBeLessThan(0.02);
      expect(await versions(40)).toEqual({ v2: 40 });
      const logs = await cli(['logs', String(id), 'deploy:prod:api']);
      expect(logs.stdout).toMatch(/at weight 0 \d+ ms after the failed analysis/);
    }, 120_000);

    it('`gantry abort` takes a paused canary\'s weight to 0 and rolls the run back, audited', async () => {
      // The release before broke on purpose (its mode file): this one is healthy again.
      await pushChange(repo, 'main', { ...serviceFiles('v4'), 'api/mode': 'ok\n' }, 'v4', 'main');
      const load = new TimedLoad(url, 4, 5);
      load.start();
      const id = await dispatch('main');
      await paused(id).finally(() => load.stop());
      const aborted = await cli(['abort', String(id), '--reason', 'wrong feature flag']);
      expect(aborted.code, aborted.stderr).toBe(0);
      const done = await t.finished(id, 60_000);
      expect([done.run.state, done.run.error?.code]).toEqual(['failed', 'CANARY_ABORTED']);
      expect(done.run.error?.message).toContain('wrong feature flag');
      expect(await versions(40)).toEqual({ v2: 40 });
      expect(await versions(10, { 'x-canary': 'always' })).toEqual({ v2: 10 });
      const [event] = await audit('canary.aborted');
      expect(event).toMatchObject({ actor: 'admin', runId: id, data: { environment: 'prod', comment: 'wrong feature flag' } });
    }, 120_000);

    it('`gantry rollback` goes straight back to the previous release in one switch, without the canary\'s steps', async () => {
      const rolled = await cli(['rollback', 'prod', '--reason', 'back to v1', '--detach', '--output', 'json']);
      expect(rolled.code, rolled.stderr).toBe(0);
      const id = (JSON.parse(rolled.stdout) as { run: { id: number } }).run.id;
      const done = await t.finished(id, 60_000);
      expect(done.run.state, JSON.stringify(done.run.error)).toBe('succeeded');
      expect(await versions(20)).toEqual({ v1: 20 });
      const log = (await cli(['logs', String(id), 'deploy:prod:api'])).stdout;
      expect(log).toContain('has no canary steps to walk (a rollback goes straight back): it takes all main traffic');
      expect(log).not.toMatch(/step \d+\/\d+:|paused/);
    }, 120_000);
  });
}
