import { isTerminalRun, isTerminalStep, StepState } from '../domain/phases.js';
import type { EngineBus, EngineEvent } from '../engine/events.js';
import type { Logger } from '../kernel/logger.js';
import type { Store } from '../store/store.js';
import { runSpan, stepSpan, type PipelineInfo } from './cicd-spans.js';
import type { SpanSink } from './span-record.js';

export interface RunTracerOptions extends PipelineInfo {
  readonly store: Store;
  readonly bus: EngineBus;
  readonly sink: SpanSink;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Turns the engine's events into spans: a step's when it ends, the run's when it ends, each read
 * from the store, so a step that ends after a restart is sent with the times the store kept and
 * the ids its run gives (trace-ids.ts). Only this server's own changes are traced: with several
 * servers on one database, the one that ended a step sends its span, once.
 */
export class RunTracer {
  /** When each step was first seen running here: a step that waits (a lock, an approval) is claimed again and again. */
  private readonly firstRunning = new Map<number, { runId: number; at: number }>();
  private readonly pending = new Set<Promise<void>>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly o: RunTracerOptions) {}

  start(): void {
    this.unsubscribe ??= this.o.bus.subscribeLocal((e) => this.onEvent(e));
  }

  /** Stops listening, sends the spans being built, then flushes the sink. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await Promise.all([...this.pending]);
    await this.o.sink.shutdown();
  }

  private onEvent(e: EngineEvent): void {
    if (e.type === 'step' && e.state === StepState.Running && !this.firstRunning.has(e.stepId)) {
      this.firstRunning.set(e.stepId, { runId: e.runId, at: (this.o.now ?? Date.now)() });
    } else if (e.type === 'step' && isTerminalStep(e.state)) {
      this.track(this.sendStep(e.runId, e.stepId));
    } else if (e.type === 'run' && isTerminalRun(e.state)) {
      this.track(this.sendRun(e.runId));
    }
  }

  private track(work: Promise<void>): void {
    const done = work.catch((error: unknown) => this.o.logger.warn({ err: error }, 'could not build a trace span'));
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  private async sendStep(runId: number, stepId: number): Promise<void> {
    const [run, step] = await Promise.all([this.o.store.runs.get(runId), this.o.store.steps.get(stepId)]);
    if (!run || !step) return;
    const first = this.firstRunning.get(stepId)?.at;
    this.firstRunning.delete(stepId);
    this.o.sink.send(stepSpan(run, step, this.o, first));
  }

  private async sendRun(runId: number): Promise<void> {
    const run = await this.o.store.runs.get(runId);
    if (!run) return;
    // A step another server ended leaves its first-seen time here: forget the run's.
    for (const [stepId, seen] of this.firstRunning) if (seen.runId === runId) this.firstRunning.delete(stepId);
    this.o.sink.send(runSpan(run, this.o));
  }
}
