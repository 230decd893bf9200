/**
 * What bench/scale.ts asks the servers to do. Every step is one real child process doing 50 ms of
 * work (`sleep 0.05` through /bin/sh in its own process group, as a gate command runs): a real
 * process, so the step costs what spawning and reaping a command costs, and no CPU while it waits,
 * so more servers can overlap more of it even on two cores.
 */
import type { PlannedStep } from '../src/domain/run.js';
import type { NewRun } from '../src/store/repositories/run-repository.js';
import type { Store } from '../src/store/store.js';

export const WORK_KIND = 'bench-work';
export const WORK_COMMAND = 'sleep 0.05';
export const WORK_MS = 50;

const step = (key: string, needs: string[]): PlannedStep => ({ key, kind: WORK_KIND, name: key, needs, spec: {}, maxAttempts: 1 });

/** A small pipeline: two gates side by side, then a build that needs both, then a deploy (4 steps, 3 deep). */
export const pipelineSteps = (): PlannedStep[] => [step('lint', []), step('test', []), step('build', ['lint', 'test']), step('deploy', ['build'])];

/** One run whose steps each wait for the one before: the time between them is the engine's alone. */
export const chainSteps = (length: number): PlannedStep[] => Array.from({ length }, (_, i) => step(`s${i}`, i === 0 ? [] : [`s${i - 1}`]));

const BENCH_RUN: NewRun = { trigger: 'dispatch', branch: null, ref: 'bench', sha: '0'.repeat(40), baseSha: null, environment: null, author: null, triggeredBy: 'bench', commitMessage: null, configJson: null };

export async function createRun(store: Store, steps: PlannedStep[]): Promise<number> {
  return (await store.runs.create(BENCH_RUN, { steps, notes: [] }, Date.now())).id;
}
