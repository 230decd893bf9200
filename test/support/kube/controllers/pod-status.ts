import type { KubeObject } from '../cluster-state.js';
import type { ContainerWorker } from './container-worker.js';

/**
 * The pod's status as the kubelet computes it (getPhase and the condition generators): Pending
 * until every container has run, Running while restarting, Succeeded/Failed when all ended and
 * none will restart; Ready and ContainersReady only when every container is ready.
 */
export function podStatus(pod: KubeObject, containers: readonly ContainerWorker[], startTime: string, transition: (type: string, status: string) => string): Record<string, unknown> {
  const restartPolicy = ((pod['spec'] as { restartPolicy?: string } | undefined)?.restartPolicy ?? 'Always') as string;
  const running = containers.filter((c) => 'running' in c.state).length;
  const unstarted = containers.filter((c) => !c.started).length;
  const terminated = containers.filter((c) => 'terminated' in c.state);
  let phase = 'Pending';
  if (unstarted === 0) {
    if (running > 0 || restartPolicy === 'Always') phase = 'Running';
    else if (terminated.length === containers.length) {
      const failed = terminated.some((c) => 'terminated' in c.state && c.state.terminated.exitCode !== 0);
      phase = !failed ? 'Succeeded' : restartPolicy === 'Never' ? 'Failed' : 'Running';
    } else phase = 'Running';
  }
  const unready = containers.filter((c) => !c.ready).map((c) => c.spec.name);
  const ready = unready.length === 0 && phase === 'Running';
  const notReady = { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
  const condition = (type: string, value: boolean, why?: { reason: string; message: string }): Record<string, unknown> => ({
    type,
    status: value ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: transition(type, value ? 'True' : 'False'),
    ...(value || !why ? {} : why),
  });
  const finished = phase === 'Succeeded' || phase === 'Failed';
  const finishedWhy = { reason: 'PodCompleted', message: '' };
  return {
    phase,
    conditions: [
      condition('PodReadyToStartContainers', true),
      condition('Initialized', true),
      condition('Ready', ready, finished ? finishedWhy : notReady),
      condition('ContainersReady', ready, finished ? finishedWhy : notReady),
      condition('PodScheduled', true),
    ],
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    podIP: '127.0.0.1',
    podIPs: [{ ip: '127.0.0.1' }],
    startTime,
    qosClass: 'BestEffort',
    containerStatuses: containers.map((c) => ({
      name: c.spec.name,
      state: c.state,
      lastState: c.lastState,
      ready: c.ready,
      restartCount: c.restartCount,
      image: c.spec.image,
      imageID: c.imageID,
      ...(c.containerID ? { containerID: c.containerID } : {}),
      started: 'running' in c.state,
    })),
  };
}
