import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ServiceStatusView } from '../../src/server/status-views.js';
import { runCli } from '../support/cli.js';
import { SERVICE_JS } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { startKubeStandin, type KubeStandin } from '../support/kube/standin.js';
import { pushAppImage } from '../support/kube/test-images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { registerSecret, secretValue } from '../support/sweep.js';
import { failedSteps, pipelineDriver } from '../support/pipeline-driver.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Issue 13, done when: a full pipeline on the Kubernetes target against the API stand-in (no
 * cluster runs here; test/support/kube/standin.ts says what it models): dev and staging rolling
 * (the Deployment's own RollingUpdate), production blue-green with two approvals and a resource
 * backup; a crash-looping release that rolls back by itself (Kubernetes' undo); a `--to-revision`
 * rollback that reuses the old ReplicaSet; the backup exported as YAML and restored; `gantry
 * status` and `gantry logs` through the CLI. Images are built once into a real docker-registry with
 * htpasswd auth and pulled by the stand-in's kubelet with the pull Secret Gantry made.
 */

const PORT = 8080;

// Says it started, so `gantry logs` has a line of its own to show.
const SERVICE = SERVICE_JS.replace("server.listen(Number(process.env.PORT), '127.0.0.1');", "server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`api ${readFileSync('./version', 'utf8').trim()} listening`));");

const config = (registry: string): string => `version: 1
project:
  name: shop
repository:
  url: .
  defaultBranch: develop
registries:
  main: { url: '${registry}', username: gantry, passwordSecret: REGISTRY_PASSWORD }
images:
  registry: main
targets:
  k8s-dev: { kind: kubernetes, namespace: shop-dev, kubeconfigSecret: KUBECONFIG, serviceType: LoadBalancer, progressDeadline: 60s }
  k8s-staging: { kind: kubernetes, namespace: shop-staging, kubeconfigSecret: KUBECONFIG, serviceType: LoadBalancer, progressDeadline: 60s }
  k8s-production: { kind: kubernetes, namespace: shop-production, kubeconfigSecret: KUBECONFIG, serviceType: LoadBalancer, progressDeadline: 60s }
services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs version out/ && (cp mode out/ 2>/dev/null || true)
      output: out
    run:
      command: node server.mjs
      port: ${PORT}
      limits: { cpus: 0.5, memory: 128Mi }
    image: { base: '${registry}/base/empty:latest' }
    replicas: 2
    health: { path: /healthz, interval: 200ms, deadline: 40s }
    smoke:
      - name: answers with its service name
        path: /
        expectJson: { field: service, equals: api }
    secrets: [API_KEY]
environments:
  dev:
    branch: develop
    target: k8s-dev
    strategy: { kind: rolling, maxSurge: 1, maxUnavailable: 0 }
    secrets: [API_KEY]
  staging:
    branch: staging
    target: k8s-staging
    strategy: { kind: rolling, maxSurge: 1, maxUnavailable: 0 }
    secrets: [API_KEY]
    backup: { retention: 30d }
  production:
    branch: main
    target: k8s-production
    strategy: { kind: blue-green, scaleDownDelay: 200ms }
    requires: staging
    approvals: { required: 2 }
    confirmation: DEPLOY TO PRODUCTION
    secrets: [API_KEY]
    backup: { retention: 90d }
    verify:
      - kind: health
      - kind: smoke
`;

interface Deployment {
  readonly revision: number;
  readonly state: string;
  readonly digest: string;
  readonly targetRevision: string | null;
}

describe('a release through dev, staging and production on the Kubernetes target (API stand-in)', () => {
  const temp = new TempDirs();
  const apiKey = secretValue('kube-api-key');
  const password = secretValue('kube-registry');
  let registry: TestRegistry;
  let standin: KubeStandin;
  let t: TestServer;
  let root: string;
  let repo: Awaited<ReturnType<typeof fixtureRepo>>;
  const approvers: string[] = [];

  const driver = pipelineDriver(() => t);
  const api = driver.api;
  const dispatch = driver.dispatch;
  const approveTwice = (runId: number): Promise<void> => driver.approve(runId, approvers);
  const cli = (args: readonly string[]) => runCli(args, { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token });
  const history = async (env: string): Promise<Deployment[]> => (await api<{ deployments: Deployment[] }>('GET', `/api/v1/environments/${env}/history?service=api`)).body.deployments;
  const failedStep = failedSteps;
  const status = async (env: string): Promise<ServiceStatusView | undefined> => (await api<{ services: ServiceStatusView[] }>('GET', `/api/v1/environments/${env}/status?service=api`)).body.services?.[0];
  /** What the environment's main route serves, through the LoadBalancer Service's address. */
  const served = async (env: string): Promise<{ version: string; revision: string }> => {
    const url = (await status(env))?.endpoints?.main.url;
    if (!url) throw new Error(`${env} reports no main endpoint`);
    return (await (await fetch(`${url}/`, { signal: AbortSignal.timeout(5_000) })).json()) as { version: string; revision: string };
  };
  const deployments = (namespace: string) => standin.state.list('deployments', namespace).map((d) => d.metadata.name);
  const replicaSets = (namespace: string) => standin.state.list('replicasets', namespace);

  beforeAll(async () => {
    registry = await startRegistry({ users: { gantry: password } });
    const host = registry.url.replace('http://', '');
    await pushAppImage({ host, auth: { username: 'gantry', password } }, 'base/empty', {});
    standin = await startKubeStandin();
    root = await temp.make();
    const text = config(host);
    repo = await fixtureRepo(root, { 'gantry.yaml': text, 'api/server.mjs': SERVICE, 'api/version': 'v1\n' });
    t = await startTestServer(root, repo, text);
    const kubeconfig = registerSecret(standin.kubeconfig());
    for (const [scope, name, value] of [
      ['dev', 'API_KEY', apiKey],
      ['staging', 'API_KEY', apiKey],
      ['production', 'API_KEY', apiKey],
      ['shared', 'REGISTRY_PASSWORD', password],
      ['dev', 'KUBECONFIG', kubeconfig],
      ['staging', 'KUBECONFIG', kubeconfig],
      ['production', 'KUBECONFIG', kubeconfig],
    ] as const) {
      const set = await api('PUT', `/api/v1/secrets/${scope}/${name}`, { value });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
    }
    for (const user of ['ana', 'ben']) {
      const made = await api<{ token: string }>('POST', '/api/v1/tokens', { user, roles: ['approver:production'] });
      approvers.push(registerSecret(made.body.token));
    }
  }, 120_000);

  afterAll(async () => {
    await t?.server.close({ stopAgents: true });
    await standin?.stop();
    await registry?.stop();
    await temp.cleanup();
  }, 120_000);

  it('promotes one image dev → staging → production (blue-green, two approvals), rolls a crash loop back by itself, rolls back to a revision, and exports and restores a backup', async () => {
    // dev: the Deployment's own rolling update, Kubernetes revision 1.
    await pushChange(repo, 'develop', { 'api/version': 'v2\n' }, 'v2', 'develop');
    const dev = await t.finished((await t.runFor('develop')).id, 180_000);
    expect(dev.run.state, failedStep(dev.steps)).toBe('succeeded');
    expect(await served('dev')).toMatchObject({ version: 'v2' });
    expect(deployments('shop-dev')).toEqual(['api']);
    // The Deployment says what put it there: release, digest, Gantry revision and run (never on the pod template).
    expect(standin.state.get('deployments', 'shop-dev', 'api')?.metadata.annotations).toMatchObject({ 'gantry.dev/revision': '1', 'gantry.dev/run': String(dev.run.id), 'gantry.dev/release': expect.stringMatching(/^[0-9a-f]{40}$/) });
    const [devR1] = await history('dev');
    expect(devR1?.targetRevision).toMatch(/^api-[a-z0-9]+ \(revision 1\)$/);

    // staging r1, then a crash-looping release: Kubernetes keeps the old pods (maxUnavailable 0), Gantry undoes.
    const staging1 = await t.finished(await dispatch('staging', 'develop'), 180_000);
    expect(staging1.run.state, failedStep(staging1.steps)).toBe('succeeded');
    const goodRs = replicaSets('shop-staging').map((rs) => rs.metadata.name);
    expect(goodRs).toHaveLength(1);

    await pushChange(repo, 'develop', { 'api/version': 'v3\n', 'api/mode': 'crash\n' }, 'v3 crashes', 'develop');
    const crashing = await t.finished((await t.runFor('develop', dev.run.id)).id, 180_000);
    expect(crashing.run.state).toBe('failed');
    expect(failedStep(crashing.steps)).toMatch(/crash|CrashLoopBackOff/i);
    await until('dev to be back on r1 after the undo', async () => {
      const s = await status('dev');
      return s?.revisions.find((r) => r.revision === 1)?.phase === 'ready' ? s : undefined;
    }, 60_000);
    expect(await served('dev')).toMatchObject({ version: 'v2' });
    const devHistory = await history('dev');
    expect(devHistory.find((d) => d.revision === 2)?.state).toMatch(/rolled-back|failed/);

    // A good release to staging (r2), then `gantry rollback --to-revision 1`: the same ReplicaSet as r1, a new Kubernetes revision.
    await pushChange(repo, 'develop', { 'api/version': 'v4\n', 'api/mode': 'ok\n' }, 'v4', 'develop');
    const dev4 = await t.finished((await t.runFor('develop', crashing.run.id)).id, 180_000);
    expect(dev4.run.state, failedStep(dev4.steps)).toBe('succeeded');
    const staging2 = await t.finished(await dispatch('staging', 'develop'), 180_000);
    expect(staging2.run.state, failedStep(staging2.steps)).toBe('succeeded');
    expect(await served('staging')).toMatchObject({ version: 'v4' });
    const rollback = await cli(['rollback', 'staging', '--to-revision', '1', '--reason', 'v4 misbehaves']);
    expect(rollback.code, rollback.stderr + rollback.stdout).toBe(0);
    expect(await served('staging')).toMatchObject({ version: 'v2' });
    const [staging3] = await history('staging');
    expect(staging3?.revision).toBe(3);
    expect(staging3?.targetRevision).toBe(`${goodRs[0] ?? '?'} (revision 3)`);
    const shown = await cli(['history', 'staging']);
    expect(shown.stdout).toContain(`[${goodRs[0] ?? '?'} (revision 3)]`);

    // Production: blue-green with two approvals; a backup of the namespace's objects first.
    const prodRun = await dispatch('production', 'develop');
    await approveTwice(prodRun);
    const production = await t.finished(prodRun, 180_000);
    expect(production.run.state, failedStep(production.steps)).toBe('succeeded');
    expect(await served('production')).toMatchObject({ version: 'v4' });
    // Blue-green is two colours of Deployment behind an active and a preview Service; no plain `api` Deployment.
    expect(deployments('shop-production').every((n) => n === 'api-blue' || n === 'api-green')).toBe(true);
    expect(standin.state.list('services', 'shop-production').map((s) => s.metadata.name)).toEqual(['api', 'api-preview']);
    const digests = new Set([...(await history('dev')), ...(await history('production'))].filter((d) => d.state === 'succeeded').map((d) => d.digest));
    expect(digests.size).toBeGreaterThan(0);

    // Second production release, so the backup before it holds r1's objects.
    await pushChange(repo, 'develop', { 'api/version': 'v5\n' }, 'v5', 'develop');
    expect((await t.finished((await t.runFor('develop', dev4.run.id)).id, 180_000)).run.state).toBe('succeeded');
    expect((await t.finished(await dispatch('staging', 'develop'), 180_000)).run.state).toBe('succeeded');
    const prod2 = await dispatch('production', 'develop');
    await approveTwice(prod2);
    expect((await t.finished(prod2, 180_000)).run.state).toBe('succeeded');
    expect(await served('production')).toMatchObject({ version: 'v5' });

    const { body: listed } = await api<{ backups: Array<{ id: number; environment: string; runId: number | null }> }>('GET', '/api/v1/backups?environment=production');
    const before = listed.backups.find((b) => b.runId === prod2);
    expect(before).toBeDefined();
    const file = join(root, 'production-backup.yaml');
    const exported = await cli(['backup', 'export', String(before?.id), '--file', file]);
    expect(exported.code, exported.stderr).toBe(0);
    const docs = parseAllDocuments(await readFile(file, 'utf8')).map((d) => d.toJSON() as { kind: string; metadata: { name: string; resourceVersion?: string } } | null).filter((d) => d !== null);
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(expect.arrayContaining(['Service/api', 'Service/api-preview']));
    expect(docs.some((d) => d.kind === 'Deployment')).toBe(true);
    expect(docs.every((d) => d.metadata.resourceVersion === undefined)).toBe(true);
    expect(await readFile(file, 'utf8')).not.toContain(apiKey);
    expect(await readFile(file, 'utf8')).not.toContain(Buffer.from(apiKey).toString('base64'));

    // Restore: production back on what the backup recorded (v4), its objects applied again.
    const restored = await cli(['--yes', 'backup', 'restore', String(before?.id), '--reason', 'drill']);
    expect(restored.code, restored.stderr + restored.stdout).toBe(0);
    expect(await served('production')).toMatchObject({ version: 'v4' });

    // Troubleshooting through the CLI: status and logs of the running service.
    const st = await cli(['status', 'production', '--service', 'api']);
    expect(st.code, st.stderr + st.stdout).toBe(0);
    expect(st.stdout).toMatch(/ready/);
    expect(st.stdout).toMatch(/api-(blue|green)/);
    const logs = await cli(['logs', 'production', 'api', '--tail', '5']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('api v4 listening');
  }, 900_000);
});
