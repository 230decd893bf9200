import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteDialect } from '../../src/store/sqlite/sqlite-dialect.js';
import { Store } from '../../src/store/store.js';
import { engineHarness, ScriptedStep, step, type Harness } from '../support/engine-harness.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * A step whose server died while its command ran is taken over by another server: the old command
 * (its own process group) is stopped first, but only by a server on the machine it runs on.
 */
describe('an orphaned step process', () => {
  const temp = new TempDirs();
  let harness: Harness | undefined;
  let orphan: ChildProcess | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
    if (orphan && orphan.exitCode === null && orphan.signalCode === null) orphan.kill('SIGKILL');
    orphan = undefined;
    await temp.cleanup();
  });

  /** A run whose one step was running on a server that died: lease expired, its command still running on `host`. */
  async function crashedStep(dir: string, host: string): Promise<ChildProcess> {
    const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const store = await Store.open(sqliteDialect(join(dir, 'gantry.db')));
    const run = await store.runs.create({ trigger: 'dispatch', branch: null, ref: 'main', sha: 'a'.repeat(40), baseSha: null, environment: null, author: null, triggeredBy: 'test', commitMessage: null, configJson: null }, { steps: [step('work', 'scripted', [], {}, 2)], notes: [] }, Date.now());
    await store.runs.markStarted(run.id, Date.now());
    const [s] = await store.steps.forRun(run.id);
    await store.steps.claim(s?.id ?? 0, 'dead-server', Date.now() - 60_000, 1_000);
    await store.steps.setProcess(s?.id ?? 0, 'dead-server', child.pid ?? 0, host);
    expect((await store.steps.forRun(run.id))[0]).toMatchObject({ state: 'running', pid: child.pid, processHost: host });
    await store.close();
    return child;
  }

  const resumeAndFinish = async (dir: string): Promise<void> => {
    harness = await engineHarness(dir, [new ScriptedStep('scripted', () => Promise.resolve({ kind: 'done' }))]);
    const store = harness.store;
    await until('the step re-ran and succeeded', async () => (await store.runs.list({ limit: 1 }))[0]?.state === 'succeeded', 15_000);
  };

  it('is stopped before the step runs again on the machine that recorded it', async () => {
    const dir = await temp.make();
    orphan = await crashedStep(dir, hostname());
    const child = orphan;
    await resumeAndFinish(dir);
    await until('the orphan is gone', () => child.signalCode === 'SIGKILL');
  });

  it('is left alone, and reported, by a server on another machine, which still runs the step', async () => {
    const dir = await temp.make();
    orphan = await crashedStep(dir, 'another-host');
    await resumeAndFinish(dir);
    expect(orphan.exitCode).toBeNull();
    expect(orphan.signalCode).toBeNull();
    expect(() => process.kill(orphan?.pid ?? 0, 0)).not.toThrow();
  });
});
