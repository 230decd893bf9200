import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isTerminalRun, isTerminalStep } from '../../src/domain/phases.js';
import type { Run } from '../../src/domain/run.js';
import { Executor } from '../../src/engine/executor.js';
import type { StepContext, StepHandler, StepOutcome } from '../../src/engine/step-handler.js';
import { systemClock } from '../../src/kernel/clock.js';
import { Redactor } from '../../src/secrets/redactor.js';
import { EnvironmentLockStep } from '../../src/steps/environment-lock.js';
import { engineHarness, step, type Harness } from '../support/engine-harness.js';
import { TempDirs, until } from '../support/temp.js';

/** A step kind that succeeds and counts the run cleanups the executor calls once a run has finished. */
class CountingStep implements StepHandler {
  readonly kind = 'work';
  readonly cleanups: number[] = [];
  run(_ctx: StepContext): Promise<StepOutcome> {
    return Promise.resolve({ kind: 'done' });
  }
  cleanup(run: Run): Promise<void> {
    this.cleanups.push(run.id);
    return Promise.resolve();
  }
}

describe('finishing a run', () => {
  const temp = new TempDirs();
  let h: Harness | undefined;
  let other: Executor | undefined;
  afterEach(async () => {
    await other?.stop({ abort: true });
    other = undefined;
    await h?.close();
    h = undefined;
    await temp.cleanup();
  });

  it('happens once when two executors on one store both find the run ready to finish: one run event, one cleanup, the lock released', async () => {
    const work = new CountingStep();
    h = await engineHarness(await temp.make(), (store) => [work, new EnvironmentLockStep(store)]);
    const { store, bus } = h;
    other = new Executor({
      store,
      handlers: new Map<string, StepHandler>([[work.kind, work], ['environment-lock', new EnvironmentLockStep(store)]]),
      bus,
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      redactor: () => new Redactor([]),
      concurrency: 4,
      leaseMs: 5_000,
      pollMs: 20,
    });

    // Both executors must read the run as ready to finish before either finishes it: the first two
    // looks at the store that see it so wait for each other (the second executor starts only then).
    let runId = 0;
    let arrivals = 0;
    let releaseBoth: () => void = () => undefined;
    const bothLooked = new Promise<void>((resolve) => (releaseBoth = resolve));
    const listActive = store.runs.listActive.bind(store.runs);
    store.runs.listActive = async () => {
      const runs = await listActive();
      if (arrivals >= 2 || !runs.some((r) => r.id === runId)) return runs;
      const steps = await store.steps.forRun(runId);
      if (!steps.every((s) => isTerminalStep(s.state))) return runs;
      arrivals++;
      if (arrivals === 2) releaseBoth();
      await bothLooked;
      return runs;
    };
    const finishes: string[] = [];
    bus.subscribe((e) => {
      if (e.type === 'run' && e.runId === runId && isTerminalRun(e.state)) finishes.push(e.state);
    });

    // The run's id is known before any executor looks at it.
    await h.executor.stop();
    runId = await h.createRun([step('lock:dev', 'environment-lock', [], { environment: 'dev', timeoutMs: 60_000 }), step('a', 'work', ['lock:dev'])], 'dev');
    h.executor.start();
    await until('the first executor to find the run ready to finish', () => arrivals === 1);
    other.start();
    expect((await h.executor.waitForRun(runId)).state).toBe('succeeded');
    // Stopping waits for each executor's current pass over the store, so both have done all they would.
    await Promise.all([other.stop(), h.executor.stop()]);
    expect(finishes).toEqual(['succeeded']);
    expect(work.cleanups).toEqual([runId]);
    expect(await store.locks.holder('dev')).toBeUndefined();
  });
});
