import type { V1Pod } from '@kubernetes/client-node';
import { RevisionPhase, type ReplicaStatus } from '../target.js';

/** Pod reasons restarting will not fix: the revision is reported `failed` at once. */
const IMAGE_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

/** Why a pod cannot serve, as a revision phase and Kubernetes' own reason and message. */
export interface PodTrouble {
  readonly phase: typeof RevisionPhase.Failed | typeof RevisionPhase.CrashLoop;
  readonly pod: string;
  readonly reason: string;
  readonly message: string;
}

const containersOf = (pod: V1Pod): NonNullable<NonNullable<V1Pod['status']>['containerStatuses']> => pod.status?.containerStatuses ?? [];

/** One pod as `gantry status` shows it: its state is the waiting or terminated reason when there is one, else its phase. */
export function replicaOf(pod: V1Pod): ReplicaStatus {
  const containers = containersOf(pod);
  const reason = containers.map((c) => c.state?.waiting?.reason ?? c.state?.terminated?.reason).find((r) => r !== undefined);
  return {
    name: pod.metadata?.name ?? '',
    state: reason ?? pod.status?.phase ?? 'Pending',
    ready: isReady(pod),
    restarts: containers.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    ...(pod.spec?.nodeName === undefined ? {} : { node: pod.spec.nodeName }),
  };
}

export function isReady(pod: V1Pod): boolean {
  return pod.metadata?.deletionTimestamp === undefined && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * The first pod trouble among `pods`: an image that cannot be pulled and a container killed for
 * memory are `failed`; a container in CrashLoopBackOff is `crash-loop`. Undefined while they
 * are only starting.
 */
export function podTrouble(pods: readonly V1Pod[]): PodTrouble | undefined {
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    for (const c of containersOf(pod)) {
      const waiting = c.state?.waiting;
      if (waiting?.reason !== undefined && IMAGE_REASONS.has(waiting.reason)) return { phase: RevisionPhase.Failed, pod: name, reason: waiting.reason, message: waiting.message ?? '' };
      // lastState keeps the OOM kill until the next termination: once the restarted container is ready again, it is only a restart.
      const killed = [c.state?.terminated, c.ready === true ? undefined : c.lastState?.terminated].find((t) => t?.reason === 'OOMKilled');
      if (killed) return { phase: RevisionPhase.Failed, pod: name, reason: 'OOMKilled', message: `container ${c.name} was killed for using more memory than its limit (exit ${killed.exitCode})` };
      // Between back-offs the kubelet runs the container again for a moment (running, then terminated):
      // a container that exited with an error twice and is not ready stays a crash loop through those moments.
      const exit = c.lastState?.terminated?.exitCode;
      const looping = (c.restartCount ?? 0) >= 2 && exit !== undefined && exit !== 0 && c.ready !== true;
      if (waiting?.reason === 'CrashLoopBackOff' || looping) {
        const message = waiting?.reason === 'CrashLoopBackOff' && waiting.message !== undefined ? waiting.message : `container ${c.name} keeps exiting (exit ${exit ?? '?'}, ${c.restartCount ?? 0} restarts)`;
        return { phase: RevisionPhase.CrashLoop, pod: name, reason: 'CrashLoopBackOff', message };
      }
    }
  }
  return undefined;
}

/** A line for lastError: the reason, its message, then the pod's last lines. */
export function troubleText(trouble: Pick<PodTrouble, 'reason' | 'message' | 'pod'>, lines: readonly string[]): string {
  const head = `${trouble.reason}: ${trouble.message}`.replace(/: $/, '');
  return lines.length === 0 ? head : `${head}\nlast lines of ${trouble.pod}:\n${lines.join('\n')}`;
}
