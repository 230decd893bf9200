import { GantryError } from '../../errors/index.js';
import { RevisionPhase } from '../../targets/target.js';
import type { ProcessStatus } from './process-spec.js';
import { readyError, type ReadyFailure } from './ready-error.js';
import type { RevisionProcess } from './revision-process.js';

/**
 * Resolves when the process is ready; rejects when it crash-loops or is stopped, when
 * `deadlineMs` passes, or when `signal` aborts (with the abort reason if it is a GantryError,
 * else STEP_CANCELLED). `unhealthy` and `crashed` keep waiting: both can still recover in time.
 */
export function awaitReady(proc: RevisionProcess, deadlineMs: number, signal?: AbortSignal): Promise<ProcessStatus> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const cleanup = (): void => {
      settled = true;
      unsubscribe();
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (failure: ReadyFailure): void => {
      if (settled) return;
      cleanup();
      void readyError(proc, failure, deadlineMs).then(reject, reject);
    };
    const check = (status: ProcessStatus): void => {
      if (settled) return;
      if (status.phase === RevisionPhase.Ready) {
        cleanup();
        resolve(status);
      } else if (status.phase === RevisionPhase.CrashLoop) fail('crash-loop');
      else if (status.phase === RevisionPhase.Stopping || status.phase === RevisionPhase.Stopped) fail('stopped');
    };
    const onAbort = (): void => {
      if (settled) return;
      cleanup();
      const reason: unknown = signal?.reason;
      reject(reason instanceof GantryError ? reason : new GantryError('STEP_CANCELLED', `stopped waiting for ${proc.spec.id} to become ready`, { cause: reason, where: proc.spec.id }));
    };
    const unsubscribe = proc.subscribe(check);
    // Ref'd on purpose: a caller waiting on readiness must get its answer even if nothing else runs.
    const timer = setTimeout(() => fail('deadline'), deadlineMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    else check(proc.status());
  });
}
