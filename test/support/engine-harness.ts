import { join } from 'node:path';
import { pino } from 'pino';
import { EngineBus } from '../../src/engine/events.js';
import { Executor } from '../../src/engine/executor.js';
import type { StepContext, StepHandler, StepOutcome } from '../../src/engine/step-handler.js';
import type { PlannedStep } from '../../src/domain/run.js';
import { Redactor } from '../../src/secrets/redactor.js';
import { sqliteDialect } from '../../src/store/sqlite/sqlite-dialect.js';
import { Store } from '../../src/store/store.js';
import { systemClock, type Clock } from '../../src/kernel/clock.js';

/** A step kind whose behaviour the test writes inline. */
export class ScriptedStep implements StepHandler {
  readonly calls: string[] = [];
  constructor(readonly kind: string, private readonly script: (ctx: StepContext, call: number) => Promise<StepOutcome>) {}
  async run(ctx: StepContext): Promise<StepOutcome> {
    this.calls.push(ctx.step.key);
    return this.script(ctx, this.calls.filter((k) => k === ctx.step.key).length);
  }
}

export interface Harness {
  readonly store: Store;
  readonly executor: Executor;
  readonly bus: EngineBus;
  createRun(steps: PlannedStep[], environment?: string): Promise<number>;
  close(): Promise<void>;
}

/** A real store (SQLite file) and a real executor, with step handlers supplied by the test. */
export async function engineHarness(dir: string, handlers: StepHandler[] | ((store: Store) => StepHandler[]), options: { concurrency?: number; leaseMs?: number; pollMs?: number; secrets?: string[]; clock?: Clock } = {}): Promise<Harness> {
  const store = await Store.open(sqliteDialect(join(dir, 'gantry.db')));
  const bus = new EngineBus();
  const executor = new Executor({
    store,
    handlers: new Map((typeof handlers === 'function' ? handlers(store) : handlers).map((h) => [h.kind, h])),
    bus,
    clock: options.clock ?? systemClock,
    logger: pino({ level: 'silent' }),
    redactor: () => new Redactor(options.secrets ?? []),
    concurrency: options.concurrency ?? 4,
    leaseMs: options.leaseMs ?? 5_000,
    pollMs: options.pollMs ?? 20,
    retryPolicy: { initialIntervalMs: 10, backoffCoefficient: 2, maximumIntervalMs: 50 },
  });
  executor.start();
  return {
    store,
    executor,
    bus,
    async createRun(steps, environment) {
      const run = await store.runs.create(
        { trigger: 'dispatch', branch: null, ref: 'main', sha: 'a'.repeat(40), baseSha: null, environment: environment ?? null, author: null, triggeredBy: 'test', commitMessage: null, configJson: null },
        { steps, notes: [] },
        (options.clock ?? systemClock).now(),
      );
      executor.wake();
      return run.id;
    },
    async close() {
      await executor.stop({ abort: true });
      await store.close();
    },
  };
}

export const step = (key: string, kind: string, needs: string[] = [], spec: Record<string, unknown> = {}, maxAttempts = 1): PlannedStep => ({ key, kind, name: key, needs, spec, maxAttempts });
