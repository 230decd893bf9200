import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesTarget } from '../../src/targets/kubernetes/kubernetes-target.js';
import type { RevisionSpec, RevisionStatus, ServiceStatus } from '../../src/targets/target.js';
import { runControllers, type Controllers } from '../support/kube/controllers/index.js';
import { startKubeStandin, type KubeStandin } from '../support/kube/standin.js';
import { pushAppImage } from '../support/kube/test-images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { CONTRACT_SERVICE_JS } from '../support/target-contract.js';
import { until } from '../support/temp.js';
import { kubeTarget } from './kubernetes-target-fixture.js';

/**
 * The rolling layout against the stand-in: one Deployment the cluster rolls itself (maxSurge 1,
 * maxUnavailable 0), each ReplicaSet a revision; a failing rollout reported with its reason, and
 * rollout undo through setWeights. The steps run in order on one service, as a pipeline would.
 */
const CRASH_JS = "console.log('r3 starting');\nconsole.error(`fatal: cannot reach the database with password ${process.env.DB_PASSWORD}`);\nprocess.exit(3);\n";
const SECRET = 'hunter2-kube-secret';
const ENV = 'dev';
const SVC = 'api';
const NAMESPACE = 'rolling-dev';
const WAIT_MS = 45_000;

let standin: KubeStandin;
let registry: TestRegistry;
let target: KubernetesTarget;
let image: { ref: string; digest: string };
let unpullable: { ref: string; digest: string };

beforeAll(async () => {
  registry = await startRegistry();
  standin = await startKubeStandin({ controllers: (state) => runControllers(state, { backoffBaseMs: 200, backoffMaxMs: 1_000 }) as never });
  const host = new URL(registry.url).host;
  image = await pushAppImage({ host }, 'rolling/app', { 'server.mjs': CONTRACT_SERVICE_JS, 'crash.mjs': CRASH_JS });
  unpullable = await pushAppImage({ host }, 'rolling/unpullable', { 'server.mjs': CONTRACT_SERVICE_JS });
  const made = await kubeTarget({ registryHost: host, kubeconfig: standin.kubeconfig(), namespace: NAMESPACE, environment: ENV, services: [SVC], strategy: 'rolling', strategyLines: '      maxSurge: 1\n      maxUnavailable: 0\n', serviceType: 'LoadBalancer', progressDeadline: '60s' });
  target = made.target;
}, 60_000);

afterAll(async () => {
  await standin?.stop();
  await registry?.stop();
});

const controllers = (): Controllers => standin.controllers as unknown as Controllers;

function revision(n: number, overrides: Partial<RevisionSpec> = {}): RevisionSpec {
  return {
    environment: ENV,
    service: SVC,
    revision: n,
    release: `release${n}abcdef`,
    artifact: image,
    command: 'node server.mjs',
    env: { CONTRACT_REVISION: String(n) },
    secretKeys: [],
    replicas: 2,
    health: { path: '/healthz', expectStatus: 200, intervalMs: 200, timeoutMs: 1_000 },
    ...overrides,
  };
}

const service = async (): Promise<ServiceStatus> => {
  const found = (await target.describe(ENV)).find((s) => s.service === SVC);
  if (!found) throw new Error('describe() has no api');
  return found;
};
const statusOf = async (n: number): Promise<RevisionStatus | undefined> => (await service()).revisions.find((r) => r.revision === n);
const phaseIs = (n: number, phase: string) => async (): Promise<RevisionStatus | undefined> => {
  const r = await statusOf(n);
  return r?.phase === phase ? r : undefined;
};
const answer = async (): Promise<string | undefined> => {
  const response = await fetch(`${await target.url(ENV, SVC, 'main')}/`, { signal: AbortSignal.timeout(5_000) });
  return ((await response.json()) as { revision?: string }).revision;
};
const rsName = (r: RevisionStatus | undefined): string => r?.targetRevision?.split(' ')[0] ?? '';
const rolloutRevision = (r: RevisionStatus | undefined): number => Number(/\(revision (\d+)\)/.exec(r?.targetRevision ?? '')?.[1]);

describe('the kubernetes target, rolling layout (stand-in)', () => {
  let r2Set = '';

  it('claims to roll revisions itself, with no preview route and no weighted split', () => {
    expect(target.capabilities()).toEqual({ weightedRouting: false, headerRouting: false, preview: false, rollsItself: true });
  });

  it('rolls r1 to r2 as Kubernetes revisions 1 and 2, never below the wanted ready pods, weights following ready pods', async () => {
    await target.startRevision(revision(1));
    const r1 = await until('r1 ready', phaseIs(1, 'ready'), WAIT_MS);
    expect(r1).toMatchObject({ readyReplicas: 2, digest: image.digest, release: 'release1abcdef' });
    expect(rolloutRevision(r1)).toBe(1);
    expect((await service()).weights).toEqual({ main: { '1': 100 }, preview: {} });
    expect(await answer()).toBe('1');

    await target.startRevision(revision(2));
    const seenWeights: Array<Record<string, number>> = [];
    await until('r2 rolled out', async () => {
      const s = await service();
      const ready = s.revisions.reduce((n, r) => n + (r.readyReplicas ?? 0), 0);
      // maxUnavailable 0: the cluster never goes below the two ready pods while it rolls.
      expect(ready).toBeGreaterThanOrEqual(2);
      seenWeights.push(s.weights.main);
      return (await target.verifyWeights(ENV, SVC, 'main', { '2': 100 })).applied;
    }, WAIT_MS);
    const r2 = await statusOf(2);
    expect(r2).toMatchObject({ phase: 'ready', readyReplicas: 2 });
    expect(rolloutRevision(r2)).toBe(2);
    expect((await statusOf(1))?.phase).toBe('stopped');
    expect(seenWeights.every((w) => Object.values(w).reduce((a, b) => a + b, 0) === 100)).toBe(true);
    expect(await answer()).toBe('2');
    r2Set = rsName(r2);
  }, 90_000);

  it('reports a crash-looping r3 as crash-loop with its last lines (its secret masked, kept in a Secret), rejects verifyWeights, and r2 keeps serving', async () => {
    await target.startRevision(revision(3, { command: 'node crash.mjs', env: { CONTRACT_REVISION: '3', DB_PASSWORD: SECRET }, secretKeys: ['DB_PASSWORD'] }));
    const r3 = await until('r3 crash-looping', phaseIs(3, 'crash-loop'), WAIT_MS);
    expect(r3.lastError).toMatch(/^CrashLoopBackOff: /);
    expect(r3.lastError).toContain('fatal: cannot reach the database with password ***');
    expect(r3.lastError).not.toContain(SECRET);
    const deployment = JSON.stringify(standin.state.get('deployments', NAMESPACE, SVC));
    expect(deployment).not.toContain(SECRET);
    expect(deployment).toMatch(/"secretRef":\{"name":"api-secrets-[0-9a-f]{10}"\}/);
    expect(r3.restarts).toBeGreaterThan(0);
    await expect(target.verifyWeights(ENV, SVC, 'main', { '3': 100 })).rejects.toMatchObject({ code: 'TARGET_ERROR', message: expect.stringContaining('CrashLoopBackOff') });
    expect((await statusOf(2))?.readyReplicas).toBe(2);
    expect(await answer()).toBe('2');
    const logs = (await target.logs(ENV, SVC, 3, 10)).join('\n');
    expect(logs).toContain('fatal: cannot reach the database with password ***');
    expect(logs).not.toContain(SECRET);
  }, 90_000);

  it('undoes to r2 through setWeights, reusing its ReplicaSet under a new rollout revision', async () => {
    await target.setWeights(ENV, SVC, 'main', { '2': 100 });
    await until('back on r2', async () => (await target.verifyWeights(ENV, SVC, 'main', { '2': 100 })).applied, WAIT_MS);
    const r2 = await statusOf(2);
    expect(rsName(r2)).toBe(r2Set);
    expect(rolloutRevision(r2)).toBe(4);
    expect((await statusOf(3))?.phase).toBe('stopped');
    expect(await answer()).toBe('2');
    const warnings = (await target.events(ENV, SVC)).filter((e) => e.type === 'Warning');
    expect(warnings.some((e) => e.object.startsWith('Pod/api-'))).toBe(true);
  }, 90_000);

  it('reports an image the kubelet cannot pull as failed at once, and rolls back from it', async () => {
    controllers().faults.failPull(unpullable.digest);
    try {
      await target.startRevision(revision(4, { artifact: unpullable }));
      const r4 = await until('r4 failed', phaseIs(4, 'failed'), WAIT_MS);
      expect(r4.lastError).toMatch(/^(ErrImagePull|ImagePullBackOff): /);
      await expect(target.verifyWeights(ENV, SVC, 'main', { '4': 100 })).rejects.toMatchObject({ code: 'TARGET_ERROR' });
      await target.setWeights(ENV, SVC, 'main', { '2': 100 });
      await until('back on r2 again', async () => (await target.verifyWeights(ENV, SVC, 'main', { '2': 100 })).applied, WAIT_MS);
    } finally {
      controllers().faults.clear();
    }
  }, 90_000);

  it('stops the current revision only when it serves no one, and refuses a split', async () => {
    await expect(target.stopRevision(ENV, SVC, 2)).rejects.toMatchObject({ code: 'CONFLICT' });
    await target.stopRevision(ENV, SVC, 1);
    await expect(target.setWeights(ENV, SVC, 'main', { '1': 50, '2': 50 })).rejects.toMatchObject({ code: 'TARGET_CAPABILITY_MISSING' });
    expect(await answer()).toBe('2');
  });

  it('exports its objects as YAML that re-applies after they were deleted, without secret values', async () => {
    const resources = await target.resources(ENV);
    expect(resources.objects).toEqual(expect.arrayContaining(['Deployment/api', 'Service/api']));
    expect(resources.objects.some((o) => o.startsWith('ConfigMap/api-env-'))).toBe(true);
    expect(resources.yaml).not.toMatch(/resourceVersion:|uid:|managedFields|status:/);
    expect(resources.yaml).toMatch(/^# Secret\/api-secrets-[0-9a-f]{10} resourceVersion \d+ /m);
    expect(resources.yaml).not.toContain(SECRET);
    expect(resources.yaml).not.toContain(Buffer.from(SECRET).toString('base64'));
    // Secrets stay in the cluster: a restore needs them there (their values are in no backup).
    for (const name of resources.objects.filter((o) => !o.startsWith('Secret/'))) {
      const [kind, objectName] = name.split('/');
      const resource = kind === 'Deployment' ? 'deployments' : kind === 'Service' ? 'services' : 'configmaps';
      standin.state.delete(resource, NAMESPACE, objectName ?? '');
    }
    await until('the pods to go', async () => (await service()).revisions.every((r) => (r.replicas ?? []).length === 0), WAIT_MS);
    expect(await target.applyResources(ENV, resources)).toEqual(expect.arrayContaining(['Deployment/api', 'Service/api']));
    await until('r2 ready again', phaseIs(2, 'ready'), WAIT_MS);
    await until('r2 answering again', async () => (await answer().catch(() => undefined)) === '2', WAIT_MS);
  }, 90_000);
});

describe('the kubernetes target, a rollout past its progress deadline', () => {
  it('reports a revision whose pods never get ready as failed with ProgressDeadlineExceeded, and verifyWeights rejects it; stopping it scales the Deployment to 0', async () => {
    const { target: short } = await kubeTarget({ registryHost: new URL(registry.url).host, kubeconfig: standin.kubeconfig(), namespace: 'rolling-deadline', environment: ENV, services: [SVC], strategy: 'rolling', serviceType: 'ClusterIP', progressDeadline: '2s' });
    // Runs, but never listens: the readiness probe never passes, and nothing crashes.
    await short.startRevision(revision(1, { command: 'sleep 600', replicas: 1 }));
    const r1 = await until('r1 past its deadline', async () => {
      const r = (await short.describe(ENV))[0]?.revisions.find((x) => x.revision === 1);
      return r?.phase === 'failed' ? r : undefined;
    }, WAIT_MS);
    expect(r1.lastError).toMatch(/^ProgressDeadlineExceeded: ReplicaSet "api-[a-z0-9]+" has timed out progressing\.$/);
    expect(r1.replicas?.[0]).toMatchObject({ ready: false, state: 'Running' });
    await expect(short.verifyWeights(ENV, SVC, 'main', { '1': 100 })).rejects.toMatchObject({ code: 'TARGET_ERROR', message: expect.stringContaining('ProgressDeadlineExceeded') });
    // The current revision serves no one: stopping it scales the Deployment to 0 (no earlier ReplicaSet to undo to).
    await short.stopRevision(ENV, SVC, 1);
    await until('r1 stopped', async () => (await short.describe(ENV))[0]?.revisions.find((x) => x.revision === 1 && x.phase === 'stopped'), WAIT_MS);
    expect(standin.state.get('deployments', 'rolling-deadline', SVC)?.['spec']).toMatchObject({ replicas: 0 });
  }, 60_000);
});
