import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { RunState, StepState } from '../domain/phases.js';
import type { Run, Step, StepError } from '../domain/run.js';
import { GantryError, TimeoutError, isGantryError } from '../errors/index.js';
import type { Redactor } from '../secrets/redactor.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../kernel/clock.js';
import type { EngineBus } from './events.js';
import type { Logger } from '../kernel/logger.js';
import { DEFAULT_RETRY_POLICY, retryDelay, type RetryPolicy } from './retry-policy.js';
import { isStepKind, parseStepSpec } from './step-specs/index.js';
import type { StepHandlers, StepOutcome } from './step-handler.js';
import { StepLog } from './step-log.js';
import { planRunProgress } from './progress.js';

export interface ExecutorOptions {
  readonly store: Store;
  readonly handlers: StepHandlers;
  readonly bus: EngineBus;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly redactor: () => Redactor;
  readonly concurrency: number;
  /** How long a claimed step stays ours without a heartbeat; after a crash it is re-run once this passes. */
  readonly leaseMs: number;
  /** How often the executor looks at the store when nobody wakes it (lock waits, expired leases). */
  readonly pollMs: number;
  readonly retryPolicy?: RetryPolicy;
  readonly owner?: string;
}

export const DEFAULT_LEASE_MS = 15_000;
export const DEFAULT_POLL_MS = 250;
export const DEFAULT_STEP_TIMEOUT_MS = 30 * 60_000;
const LOG_TAIL_LINES = 20;

interface Active {
  readonly runId: number;
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

/**
 * Drives persisted runs to their end. Every decision is read from the store and every state change
 * is written there before it is acted on, so a new executor after a crash carries on where this one
 * stopped: finished steps stay finished, a step whose lease expired runs again.
 */
export class Executor {
  readonly owner: string;
  private readonly active = new Map<number, Active>();
  private stopped = true;
  private wakeUp: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(private readonly o: ExecutorOptions) {
    this.owner = o.owner ?? `executor-${randomUUID()}`;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loopDone = this.loop();
  }

  /** Looks at the store now instead of at the next poll. */
  wake(): void {
    this.dirty = true;
    this.wakeUp?.();
  }

  /** Stops claiming work; with `abort`, cancels what runs (it will be re-run after the lease expires). */
  async stop(options: { abort?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    if (options.abort) for (const a of this.active.values()) a.controller.abort(new GantryError('STEP_CANCELLED', 'the server is shutting down'));
    await this.loopDone;
    await Promise.all([...this.active.values()].map((a) => a.done));
  }

  /** Resolves when the run has finished (for the CLI's embedded uses and tests). */
  async waitForRun(runId: number, timeoutMs = 120_000): Promise<Run> {
    const deadline = this.o.clock.now() + timeoutMs;
    for (;;) {
      const run = await this.o.store.runs.get(runId);
      if (run && (run.state === RunState.Succeeded || run.state === RunState.Failed || run.state === RunState.Cancelled)) return run;
      if (this.o.clock.now() > deadline) throw new TimeoutError('STEP_TIMEOUT', `run #${runId} did not finish within ${timeoutMs} ms`);
      // A run event or the next look at the store, whichever comes first; the other is cancelled.
      await new Promise<void>((resolve) => {
        const done = (): void => {
          off();
          timer.cancel();
          resolve();
        };
        const off = this.o.bus.subscribe((e) => {
          if (e.type === 'run' && e.runId === runId) done();
        });
        const timer = this.o.clock.setTimeout(done, 200);
      });
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.dirty = false;
      try {
        await this.tick();
      } catch (error: unknown) {
        this.o.logger.error({ err: error }, 'executor tick failed; retrying at the next poll');
      }
      if (this.stopped) break;
      if (this.dirty) continue;
      await new Promise<void>((resolve) => {
        const timer = this.o.clock.setTimeout(resolve, this.o.pollMs);
        this.wakeUp = () => {
          timer.cancel();
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }

  private async tick(): Promise<void> {
    const { store, clock } = this.o;
    const runs = await store.runs.listActive();
    if (runs.length === 0) return;
    const steps = await store.steps.forRuns(runs.map((r) => r.id));
    for (const run of runs) {
      const own = steps.filter((s) => s.runId === run.id);
      const now = clock.now();
      const progress = planRunProgress(run, own, now);
      if (run.state === RunState.Queued) {
        await store.runs.markStarted(run.id, now);
        this.emitRun(run.id, RunState.Running);
      }
      if (progress.abort.length > 0) for (const id of progress.abort) this.active.get(id)?.controller.abort(new GantryError('STEP_CANCELLED', `run #${run.id} was cancelled`));
      for (const { step, reason } of progress.skip) {
        await store.steps.settleUnstarted([step.id], StepState.Skipped, reason, now);
        this.emitStep(step, StepState.Skipped);
      }
      if (progress.cancel.length > 0) {
        await store.steps.settleUnstarted(progress.cancel.map((s) => s.id), StepState.Cancelled, 'cancelled', now);
        for (const s of progress.cancel) this.emitStep(s, StepState.Cancelled);
      }
      if (progress.finish) {
        await this.finishRun(run, progress.finish.state, progress.finish.error);
        continue;
      }
      // A full executor still settles and finishes the other runs; it only stops starting steps.
      for (const step of progress.ready) {
        if (this.active.size >= this.o.concurrency) break;
        if (this.active.has(step.id)) continue;
        await this.launch(run, step);
      }
    }
  }

  private async launch(run: Run, candidate: Step): Promise<void> {
    const { store, clock, leaseMs } = this.o;
    const step = await store.steps.claim(candidate.id, this.owner, clock.now(), leaseMs);
    if (!step) return;
    if (step.pid !== null) stopOrphan(step.pid, step.processHost, this.o.logger);
    const controller = new AbortController();
    const done = this.execute(run, step, controller).finally(() => {
      this.active.delete(step.id);
      this.wake();
    });
    this.active.set(step.id, { runId: run.id, controller, done });
    this.emitStep(step, StepState.Running);
  }

  private async execute(run: Run, step: Step, controller: AbortController): Promise<void> {
    const { store, clock, logger } = this.o;
    const handler = this.o.handlers.get(step.kind);
    const log = new StepLog(store, this.o.bus, clock, this.o.redactor(), run.id, step.id, step.attempt, (error) => logger.error({ err: error, step: step.key }, 'writing step log lines failed'));
    const timeoutMs = typeof step.spec.timeoutMs === 'number' ? step.spec.timeoutMs : DEFAULT_STEP_TIMEOUT_MS;
    const timer = clock.setTimeout(() => controller.abort(new TimeoutError('STEP_TIMEOUT', `step ${step.name} ran longer than ${timeoutMs} ms`, { hint: 'Raise the timeout in gantry.yaml or make the command faster.' })), timeoutMs);
    const heartbeat = clock.setInterval(() => {
      store.steps.heartbeat(step.id, this.owner, clock.now() + this.o.leaseMs).then(
        (ours) => {
          if (!ours) controller.abort(new GantryError('STEP_CANCELLED', 'the step lease was lost to another executor'));
        },
        // A missed heartbeat is survivable: the lease is longer than three of them.
        (error: unknown) => logger.warn({ err: error, step: step.key }, 'heartbeat failed'),
      );
    }, Math.max(50, Math.floor(this.o.leaseMs / 3)));
    let outcome: StepOutcome | undefined;
    let failure: unknown;
    try {
      if (step.attempt > 1) log.info(`attempt ${step.attempt} of ${step.maxAttempts}`);
      if (!handler) throw new GantryError('INTERNAL', `no handler for step kind ${step.kind}`);
      // A spec that does not match its kind fails the step here, naming the fields, before any handler reads it.
      if (isStepKind(step.kind)) parseStepSpec(step.kind, step.key, step.spec);
      const trackProcess = (pid: number | null): Promise<void> =>
        store.steps.setProcess(step.id, this.owner, pid, hostname()).catch((error: unknown) => logger.warn({ err: error, step: step.key }, 'could not record the step process'));
      outcome = await handler.run({ run, step, signal: controller.signal, clock, logger: logger.child({ runId: run.id, step: step.key }), log, trackProcess });
    } catch (error: unknown) {
      failure = controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason : error;
    } finally {
      timer.cancel();
      heartbeat.cancel();
    }
    if (failure !== undefined) log.info(`failed: ${isGantryError(failure) ? failure.message : String(failure)}`);
    await log.close();
    await this.record(step, outcome, failure);
  }

  private async record(step: Step, outcome: StepOutcome | undefined, failure: unknown): Promise<void> {
    const { store, clock } = this.o;
    const now = clock.now();
    if (outcome?.kind === 'wait') {
      await store.steps.release(step.id, this.owner, StepState.Waiting, now + outcome.retryInMs, outcome.message);
      this.emitStep(step, StepState.Waiting);
      return;
    }
    if (outcome) {
      const state = outcome.skipped ? StepState.Skipped : StepState.Succeeded;
      await store.steps.finish(step.id, this.owner, { state, cached: outcome.cached ?? false, summary: outcome.summary ?? null, message: outcome.message ?? null }, now);
      this.emitStep(step, state);
      return;
    }
    const error = await this.describe(step, failure);
    const gantryError = isGantryError(failure) ? failure : undefined;
    const summary = (gantryError?.details?.summary as Record<string, unknown> | undefined) ?? null;
    if (gantryError?.code === 'STEP_CANCELLED') {
      await store.steps.finish(step.id, this.owner, { state: StepState.Cancelled, error, message: error.message }, now);
      this.emitStep(step, StepState.Cancelled);
      return;
    }
    if (gantryError?.retryable && step.attempt < step.maxAttempts) {
      const delay = retryDelay(this.o.retryPolicy ?? DEFAULT_RETRY_POLICY, step.attempt);
      await store.steps.release(step.id, this.owner, StepState.Pending, now + delay, `retrying in ${delay} ms after: ${error.message}`, error);
      this.emitStep(step, StepState.Pending);
      return;
    }
    await store.steps.finish(step.id, this.owner, { state: StepState.Failed, error, summary, message: error.message }, now);
    this.emitStep(step, StepState.Failed);
  }

  private async describe(step: Step, failure: unknown): Promise<StepError> {
    const logTail = await this.o.store.logs.tail(step.id, step.attempt, LOG_TAIL_LINES);
    if (isGantryError(failure)) {
      const exitCode = failure.details?.exitCode;
      return {
        code: failure.code,
        message: failure.message,
        ...(failure.hint ? { hint: failure.hint } : {}),
        ...(typeof exitCode === 'number' ? { exitCode } : {}),
        logTail,
      };
    }
    this.o.logger.error({ err: failure, step: step.key }, 'step failed with an unexpected error');
    return { code: 'INTERNAL', message: `step ${step.name} failed unexpectedly: ${failure instanceof Error ? failure.message : String(failure)}`, hint: 'This is a bug in Gantry; please report it.', logTail };
  }

  private async finishRun(run: Run, state: RunState, error: StepError | null): Promise<void> {
    const { store, clock } = this.o;
    // One guarded transaction ends the run and frees its locks; an executor that lost the race to
    // finish this run does nothing more, so the run is announced and cleaned up once.
    if (!(await store.runs.finish(run.id, state, clock.now(), error))) {
      this.o.logger.debug({ runId: run.id }, 'run already finished by another executor');
      return;
    }
    if (state === RunState.Succeeded && run.trigger === 'push' && run.branch) await store.branches.setGreen(run.branch, run.sha, clock.now());
    for (const handler of this.o.handlers.values()) {
      try {
        await handler.cleanup?.(run);
      } catch (cleanupError: unknown) {
        this.o.logger.warn({ err: cleanupError, runId: run.id }, `cleanup of ${handler.kind} steps failed`);
      }
    }
    this.emitRun(run.id, state);
  }

  private emitRun(runId: number, state: string): void {
    this.o.bus.emit({ type: 'run', runId, state });
  }

  private emitStep(step: Step, state: string): void {
    this.o.bus.emit({ type: 'step', runId: step.runId, stepId: step.id, state });
  }
}

/**
 * A step re-run after its owner died may find the old attempt's command still running (it was in
 * its own process group). Stop it first, so two copies never race on the same workspace. A pid
 * recorded on another machine (another server of the same database) means nothing here: killing it
 * could hit an unrelated process, so it is only reported. A pid without a host predates migration 012
 * and was recorded by the one server of its database, this machine.
 */
function stopOrphan(pid: number, host: string | null, logger: Logger): void {
  const here = hostname();
  if (host !== null && host !== here) {
    logger.warn({ pid, host }, `the process group ${pid} an earlier attempt left on host ${host} cannot be stopped from ${here}; the step runs again here`);
    return;
  }
  try {
    process.kill(-pid, 'SIGKILL');
    logger.warn({ pid }, 'stopped the process group an earlier attempt left running');
  } catch {
    // Already gone, which is the usual case.
  }
}
