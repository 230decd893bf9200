import { RunState, TriggerKind } from '../domain/phases.js';
import type { Run } from '../domain/run.js';
import { GantryError, NotFoundError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { EngineBus } from './events.js';
import type { Executor } from './executor.js';
import type { RepositoryReader } from './repository-reader.js';
import type { RunFactory } from './run-factory.js';

export interface EngineOptions {
  readonly store: Store;
  readonly executor: Executor;
  readonly factory: RunFactory;
  readonly bus: EngineBus;
  readonly reader: RepositoryReader;
  /** Brings the reader up to date with the source (a fetch), before a ref is resolved. */
  readonly refresh: () => Promise<void>;
}

/** What the outside (API, watcher, CLI) asks of the engine. Every change goes through the store first. */
export class Engine {
  constructor(private readonly o: EngineOptions) {}

  get bus(): EngineBus {
    return this.o.bus;
  }

  async push(branch: string, sha: string, previousSha: string | null): Promise<Run> {
    const run = await this.o.factory.create({ kind: TriggerKind.Push, ref: branch, branch, sha, previousSha, triggeredBy: 'git push' });
    this.o.bus.emit({ type: 'run', runId: run.id, state: run.state });
    this.o.executor.wake();
    return run;
  }

  /** Runs a ref (a branch by default: the environment's own) through CI and on to the environment. */
  async dispatch(environment: string, ref: string | undefined, by: string): Promise<Run> {
    const env = this.o.factory.environmentFor({ kind: TriggerKind.Dispatch, branch: null, environment });
    if (!env) throw new GantryError('UNKNOWN_ENVIRONMENT', `environment "${environment}" is not declared`);
    const wanted = ref ?? env.branch;
    await this.o.refresh();
    const candidates = [`refs/heads/${wanted}`, `refs/tags/${wanted}`, wanted];
    let sha: string | undefined;
    let branch: string | null = null;
    for (const candidate of candidates) {
      sha = await this.o.reader.resolve(candidate);
      if (sha) {
        branch = candidate.startsWith('refs/heads/') ? wanted : null;
        break;
      }
    }
    if (!sha) {
      throw new GantryError('UNKNOWN_REF', `"${wanted}" is not a branch, tag or commit of the repository`, { hint: 'Push it first, or check the spelling.' });
    }
    const run = await this.o.factory.create({ kind: TriggerKind.Dispatch, ref: wanted, branch, sha, environment, triggeredBy: by });
    this.o.bus.emit({ type: 'run', runId: run.id, state: run.state });
    this.o.executor.wake();
    return run;
  }

  async cancel(runId: number): Promise<Run> {
    const run = await this.o.store.runs.get(runId);
    if (!run) throw new NotFoundError('RUN_NOT_FOUND', `run #${runId} does not exist`, { hint: 'List runs with `gantry runs`.' });
    if (run.state === RunState.Succeeded || run.state === RunState.Failed || run.state === RunState.Cancelled) {
      throw new GantryError('RUN_ALREADY_FINISHED', `run #${runId} already ${run.state}`);
    }
    await this.o.store.runs.requestCancel(runId);
    this.o.executor.wake();
    return (await this.o.store.runs.get(runId)) ?? run;
  }
}
