import { GantryError, HealthCheckError, TargetError, TimeoutError } from '../../errors/index.js';
import { RevisionPhase } from '../../targets/target.js';
import type { ProcessStatus } from '../supervisor/process-spec.js';
import type { ContainerReplica } from './container-replica.js';

/** Resolves when the container replica is ready; rejects when it crash-loops, is stopped, the deadline passes, or `signal` aborts. */
export function awaitContainerReady(replica: ContainerReplica, deadlineMs: number, signal?: AbortSignal): Promise<ProcessStatus> {
  const { id } = replica.spec;
  const where = { where: id };
  return new Promise((resolve, reject) => {
    const finish = (outcome: () => void): void => {
      unsubscribe();
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const check = (status: ProcessStatus): void => {
      if (status.phase === RevisionPhase.Ready) finish(() => resolve(status));
      else if (status.phase === RevisionPhase.CrashLoop) finish(() => reject(new HealthCheckError('REVISION_CRASH_LOOP', `${id} ${status.lastError ?? 'exited'}; it will not be restarted again`, { ...where, hint: `Read its output: gantry logs, or the engine's logs of container ${replica.spec.container.name}.` })));
      else if (status.phase === RevisionPhase.Stopping || status.phase === RevisionPhase.Stopped) finish(() => reject(new TargetError('REVISION_GONE', `${id} was stopped before it became ready`, where)));
    };
    const onAbort = (): void => finish(() => reject(signal?.reason instanceof GantryError ? signal.reason : new GantryError('STEP_CANCELLED', `stopped waiting for ${id} to become ready`, where)));
    const unsubscribe = replica.subscribe(check);
    const timer = setTimeout(() => finish(() => reject(new TimeoutError('REVISION_NOT_READY', `${id} did not become ready within ${deadlineMs} ms: ${replica.status().lastError ?? replica.describeLastProbe()}`, where))), deadlineMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    else check(replica.status());
  });
}
