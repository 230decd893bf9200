import type { V1ContainerStatus, V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { colorRevision, replicaSetRevision } from '../../src/targets/kubernetes/revision-status.js';
import { readyShares, wholeRoute } from '../../src/targets/kubernetes/layout.js';
import { troubleText } from '../../src/targets/kubernetes/pod-status.js';

const annotations = { 'gantry.dev/revision': '3', 'gantry.dev/release': 'abc1234def', 'gantry.dev/digest': `sha256:${'b'.repeat(64)}`, 'deployment.kubernetes.io/revision': '2' };

function rs(name: string, rollout: string, replicas: number): V1ReplicaSet {
  return { metadata: { name, uid: `uid-${name}`, annotations: { ...annotations, 'deployment.kubernetes.io/revision': rollout }, labels: { 'pod-template-hash': name.split('-').pop() ?? '' } }, spec: { replicas, selector: {} } };
}

function deployment(rollout: string, status: V1Deployment['status'], replicas = 2, generation = 4): V1Deployment {
  return { metadata: { name: 'api', generation, annotations: { ...annotations, 'deployment.kubernetes.io/revision': rollout } }, spec: { replicas, selector: {}, template: {} }, status };
}

function pod(name: string, owner: V1ReplicaSet, ready: boolean, container: Partial<V1ContainerStatus> = {}): V1Pod {
  return {
    metadata: { name, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '' }] },
    spec: { nodeName: 'node-1', containers: [] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: 'api', image: 'x', imageID: '', ready, restartCount: 0, state: { running: {} }, ...container }],
    },
  };
}

const done = { observedGeneration: 4, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 };

describe('Kubernetes revision status', () => {
  it('reports the current ReplicaSet ready once the rollout completed, with its rollout revision beside Gantry\'s', () => {
    const set = rs('api-7d9f6c', '2', 2);
    const { status } = replicaSetRevision(set, deployment('2', done), [pod('api-7d9f6c-a', set, true), pod('api-7d9f6c-b', set, true)]);
    expect(status).toMatchObject({ revision: 3, release: 'abc1234def', phase: 'ready', readyReplicas: 2, restarts: 0, targetRevision: 'api-7d9f6c (revision 2)', lastError: null });
    expect(status.replicas).toEqual([
      { name: 'api-7d9f6c-a', state: 'Running', ready: true, restarts: 0, node: 'node-1' },
      { name: 'api-7d9f6c-b', state: 'Running', ready: true, restarts: 0, node: 'node-1' },
    ]);
  });

  it('keeps the current ReplicaSet starting while the controller has not seen the latest generation or old pods remain', () => {
    const set = rs('api-7d9f6c', '2', 2);
    const pods = [pod('api-7d9f6c-a', set, true), pod('api-7d9f6c-b', set, true)];
    expect(replicaSetRevision(set, deployment('2', { ...done, observedGeneration: 3 }), pods).status.phase).toBe('starting');
    expect(replicaSetRevision(set, deployment('2', { ...done, replicas: 3 }), pods).status.phase).toBe('starting');
  });

  it('reports an old ReplicaSet at 0 replicas stopped, and one still scaling down as ready while its pods serve', () => {
    const old = rs('api-5c4b3a', '1', 0);
    expect(replicaSetRevision(old, deployment('2', done), []).status.phase).toBe('stopped');
    const draining = rs('api-5c4b3a', '1', 1);
    expect(replicaSetRevision(draining, deployment('2', done), [pod('api-5c4b3a-x', draining, true)]).status.phase).toBe('ready');
  });

  it('reports CrashLoopBackOff as crash-loop with the restarts summed', () => {
    const set = rs('api-7d9f6c', '2', 2);
    const crashing = { restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } }, lastState: { terminated: { exitCode: 3 } } };
    const mapped = replicaSetRevision(set, deployment('2', { observedGeneration: 4, replicas: 2 }), [pod('api-7d9f6c-a', set, false, crashing), pod('api-7d9f6c-b', set, false, { ...crashing, restartCount: 2 })]);
    expect(mapped.status).toMatchObject({ phase: 'crash-loop', restarts: 6, readyReplicas: 0, lastError: 'CrashLoopBackOff: back-off 40s restarting failed container' });
    expect(mapped.status.replicas?.[0]?.state).toBe('CrashLoopBackOff');
    expect(mapped.trouble?.pod).toBe('api-7d9f6c-a');
    expect(troubleText(mapped.trouble ?? { reason: '', message: '', pod: '' }, ['boom'])).toBe('CrashLoopBackOff: back-off 40s restarting failed container\nlast lines of api-7d9f6c-a:\nboom');
  });

  it('keeps a crash loop a crash loop while the kubelet runs the container again between back-offs', () => {
    const set = rs('api-7d9f6c', '2', 1);
    const again = { restartCount: 3, ready: false, state: { running: {} }, lastState: { terminated: { exitCode: 3 } } };
    const { status } = replicaSetRevision(set, deployment('2', { observedGeneration: 4 }, 1), [pod('api-7d9f6c-a', set, false, again)]);
    expect(status).toMatchObject({ phase: 'crash-loop', lastError: 'CrashLoopBackOff: container api keeps exiting (exit 3, 3 restarts)' });
    const once = { restartCount: 1, ready: false, state: { running: {} }, lastState: { terminated: { exitCode: 3 } } };
    expect(replicaSetRevision(set, deployment('2', { observedGeneration: 4 }, 1), [pod('api-7d9f6c-a', set, false, once)]).status.phase).toBe('starting');
  });

  it('reports an image that cannot be pulled as failed at once', () => {
    const set = rs('api-7d9f6c', '2', 1);
    const pulling = { state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.test/api@sha256:00"' } } };
    const { status } = replicaSetRevision(set, deployment('2', { observedGeneration: 4 }, 1), [pod('api-7d9f6c-a', set, false, pulling)]);
    expect(status).toMatchObject({ phase: 'failed', lastError: 'ImagePullBackOff: Back-off pulling image "registry.test/api@sha256:00"' });
  });

  it('reports a container killed for memory as failed, even after it was restarted', () => {
    const set = rs('api-7d9f6c', '2', 1);
    const killed = { restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } };
    const { status } = replicaSetRevision(set, deployment('2', { observedGeneration: 4 }, 1), [pod('api-7d9f6c-a', set, false, killed)]);
    expect(status.phase).toBe('failed');
    expect(status.lastError).toMatch(/^OOMKilled: container api was killed for using more memory than its limit \(exit 137\)/);
    const recovered = { ...killed, ready: true };
    expect(replicaSetRevision(set, deployment('2', { observedGeneration: 4, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }, 1), [pod('api-7d9f6c-a', set, true, recovered)]).status).toMatchObject({ phase: 'ready', restarts: 1 });
  });

  it('reports a rollout past its progress deadline as failed', () => {
    const set = rs('api-7d9f6c', '2', 1);
    const status = { observedGeneration: 4, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "api-7d9f6c" has timed out progressing.' }] };
    expect(replicaSetRevision(set, deployment('2', status, 1), [pod('api-7d9f6c-a', set, false)]).status).toMatchObject({ phase: 'failed', lastError: 'ProgressDeadlineExceeded: ReplicaSet "api-7d9f6c" has timed out progressing.' });
  });

  it('reports a blue-green colour scaled to 0 as stopped, and counts only its current template\'s pods', () => {
    const set = rs('api-blue-6f5e4d', '1', 1);
    const stale = rs('api-blue-111111', '0', 0);
    const d = deployment('1', { observedGeneration: 4, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }, 1);
    const { status } = colorRevision(d, set, [pod('api-blue-6f5e4d-a', set, true), pod('api-blue-111111-z', stale, false)]);
    expect(status).toMatchObject({ phase: 'ready', readyReplicas: 1, targetRevision: 'api-6f5e4d (revision 1)' });
    expect(colorRevision(deployment('1', {}, 0), set, []).status.phase).toBe('stopped');
  });

  it('shares the main route by ready pods, summing to 100, and none when nothing is ready', () => {
    expect(readyShares([{ revision: 1, ready: 1 }, { revision: 2, ready: 2 }])).toEqual({ '1': 33, '2': 67 });
    expect(readyShares([{ revision: 1, ready: 0 }, { revision: 2, ready: 3 }])).toEqual({ '2': 100 });
    expect(readyShares([{ revision: 1, ready: 0 }])).toEqual({});
  });

  it('takes a whole route to one revision or none, and refuses a split with TARGET_CAPABILITY_MISSING', () => {
    expect(wholeRoute('cluster', 'api', 'main', { '3': 100, '2': 0 })).toBe(3);
    expect(wholeRoute('cluster', 'api', 'main', {})).toBeUndefined();
    expect(() => wholeRoute('cluster', 'api', 'main', { '1': 50, '2': 50 })).toThrow(expect.objectContaining({ code: 'TARGET_CAPABILITY_MISSING' }));
  });
});
