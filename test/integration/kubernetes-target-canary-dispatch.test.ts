import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceStatusView } from '../../src/server/status-views.js';
import type { RunView, StepView } from '../../src/server/views.js';
import { runCli } from '../support/cli.js';
import { SERVICE_JS } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { startKubeStandin, type KubeStandin } from '../support/kube/standin.js';
import { pushAppImage } from '../support/kube/test-images.js';
import { pipelineDriver } from '../support/pipeline-driver.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { registerSecret } from '../support/sweep.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * A canary on the kubernetes target (replica ratio) as a user drives it: dispatches over the API,
 * `gantry promote` and `gantry abort` as processes, requests through the LoadBalancer Service of the
 * API stand-in. Ten replicas: 10 % is one canary pod, 50 % five.
 */
const NAMESPACE = 'shop-canary';

const config = (registry: string): string => `version: 1
project: { name: shop }
repository:
  url: .
  defaultBranch: main
registries:
  main: { url: '${registry}' }
images: { registry: main }
targets:
  k8s: { kind: kubernetes, namespace: ${NAMESPACE}, kubeconfigSecret: KUBECONFIG, serviceType: LoadBalancer, progressDeadline: 60s }
services:
  api:
    path: api
    build: { run: 'mkdir -p out && cp server.mjs version out/', output: out }
    run: { command: node server.mjs, port: 8080 }
    image: { base: '${registry}/base/empty:latest' }
    replicas: 10
    health: { path: /healthz, interval: 200ms, deadline: 40s }
environments:
  prod:
    branch: main
    target: k8s
    strategy:
      kind: canary
      steps: [{ setWeight: 10 }, { pause: { duration: 1s } }, { setWeight: 50 }, { pause: {} }]
      scaleDownDelay: 200ms
`;

interface Run {
  run: RunView;
  steps: StepView[];
}

describe('a canary on the kubernetes target through gantry dispatch (API stand-in)', () => {
  const temp = new TempDirs();
  let registry: TestRegistry;
  let standin: KubeStandin;
  let t: TestServer;
  let repo: Awaited<ReturnType<typeof fixtureRepo>>;
  const cli = (args: string[]) => runCli(args, { CI: 'true', GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token });
  const run = async (id: number): Promise<Run> => (await t.api<Run>('GET', `/api/v1/runs/${id}`)).body;
  const dispatch = async (): Promise<number> => (await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod', ref: 'main' })).body.run.id;
  const deployStep = (r: Run) => r.steps.find((s) => s.kind === 'deploy');
  const status = async (): Promise<ServiceStatusView | undefined> => (await t.api<{ services: ServiceStatusView[] }>('GET', '/api/v1/environments/prod/status?service=api')).body.services?.[0];
  const paused = (id: number) =>
    until(`run #${id}'s canary to pause for a promotion`, async () => {
      const r = await run(id);
      if (r.run.state === 'failed') throw new Error(`run #${id} failed: ${JSON.stringify(r.run.error)}`);
      return (deployStep(r)?.message ?? '').includes('paused') ? r : undefined;
    }, 120_000, 50);
  const versions = async (n: number): Promise<Record<string, number>> => {
    const url = (await status())?.endpoints?.main.url;
    if (!url) throw new Error('prod reports no main endpoint');
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const v = ((await (await fetch(`${url}/`, { signal: AbortSignal.timeout(5_000) })).json()) as { version: string }).version;
      seen[v] = (seen[v] ?? 0) + 1;
    }
    return seen;
  };
  const scale = (colour: string): number => ((standin.state.get('deployments', NAMESPACE, `api-${colour}`)?.['spec'] as { replicas?: number } | undefined)?.replicas ?? 0);

  beforeAll(async () => {
    registry = await startRegistry();
    const host = registry.url.replace('http://', '');
    await pushAppImage({ host }, 'base/empty', {});
    standin = await startKubeStandin();
    const root = await temp.make();
    const text = config(host);
    repo = await fixtureRepo(root, { 'gantry.yaml': text, 'api/server.mjs': SERVICE_JS, 'api/version': 'v1\n' });
    t = await startTestServer(root, repo, text);
    const set = await pipelineDriver(() => t).api('PUT', '/api/v1/secrets/prod/KUBECONFIG', { value: registerSecret(standin.kubeconfig()) });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    // The first deployment has no stable revision: it takes all traffic at once, at its 10 replicas.
    const first = await t.finished(await dispatch(), 180_000);
    expect(first.run.state, JSON.stringify(first.run.error)).toBe('succeeded');
  }, 240_000);

  afterAll(async () => {
    await t?.server.close({ stopAgents: true });
    await standin?.stop();
    await registry?.stop();
    await temp.cleanup();
  }, 120_000);

  it('walks 10 % (1 of 10 pods) → 50 % (5) → paused until gantry promote → 100 %, then retires the stable', async () => {
    await until('r1 on its 10 pods', async () => (await status())?.revisions.find((r) => r.revision === 1)?.readyReplicas === 10, 60_000);
    await pushChange(repo, 'main', { 'api/version': 'v2\n' }, 'v2', 'main');
    const id = await dispatch();
    // What the API reports while the steps go by: the ready pods' shares.
    const seen = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seen.add(JSON.stringify((await status())?.weights.main ?? {}));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const at = await paused(id).finally(() => (watching = false));
    await watcher;
    expect(seen).toContain(JSON.stringify({ '1': 90, '2': 10 }));
    expect(seen).toContain(JSON.stringify({ '1': 50, '2': 50 }));
    expect(deployStep(at)?.message).toMatch(/step 4\/4 \(pause until promoted\).*50 % of main traffic/);
    const colours = standin.state.list('deployments', NAMESPACE).map((d) => d.metadata.name).sort();
    expect(colours).toEqual(['api-blue', 'api-green']);
    expect([scale('blue'), scale('green')].sort()).toEqual([5, 5]);
    const split = await versions(200);
    expect(split.v2 ?? 0).toBeGreaterThanOrEqual(80);
    expect(split.v2 ?? 0).toBeLessThanOrEqual(120);

    const promoted = await cli(['promote', String(id), '--comment', 'pods look fine']);
    expect(promoted.code, promoted.stderr).toBe(0);
    const done = await t.finished(id, 120_000);
    expect(done.run.state, JSON.stringify(done.run.error)).toBe('succeeded');
    expect(await versions(40)).toEqual({ v2: 40 });
    // Retired after the scale-down delay: the stable's Deployment at 0, the canary's at all 10.
    await until('r1 stopped', async () => (await status())?.revisions.find((r) => r.revision === 1)?.phase === 'stopped', 60_000);
    expect([scale('blue'), scale('green')].sort((a, b) => a - b)).toEqual([0, 10]);
  }, 300_000);

  it('`gantry abort` on a paused canary puts the stable back on all traffic and leaves no canary pod', async () => {
    await pushChange(repo, 'main', { 'api/version': 'v3\n' }, 'v3', 'main');
    const id = await dispatch();
    await paused(id);
    expect((await versions(100)).v3 ?? 0).toBeGreaterThan(30);
    const aborted = await cli(['abort', String(id), '--reason', 'wrong feature flag']);
    expect(aborted.code, aborted.stderr).toBe(0);
    const done = await t.finished(id, 120_000);
    expect([done.run.state, done.run.error?.code]).toEqual(['failed', 'CANARY_ABORTED']);
    expect(await versions(40)).toEqual({ v2: 40 });
    const r3 = (await status())?.revisions.find((r) => r.revision === 3);
    expect(r3 === undefined || r3.phase === 'stopped').toBe(true);
    const canary = standin.state.list('deployments', NAMESPACE).find((d) => d.metadata.annotations?.['gantry.dev/revision'] === '3');
    const colour = canary?.metadata.labels?.['gantry.dev/color'] ?? '';
    expect(colour).toMatch(/^(blue|green)$/);
    expect(scale(colour)).toBe(0);
    expect(standin.state.list('pods', NAMESPACE).filter((p) => p.metadata.labels?.['gantry.dev/color'] === colour)).toEqual([]);
  }, 300_000);
});
