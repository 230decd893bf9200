import { afterEach, describe, expect, it } from 'vitest';
import { EnvironmentLockStep } from '../../src/steps/environment-lock.js';
import { GantryError } from '../../src/errors/index.js';
import { engineHarness, ScriptedStep, step, type Harness } from '../support/engine-harness.js';
import { TempDirs, until } from '../support/temp.js';

const done = { kind: 'done' } as const;

describe('the executor over a real store', () => {
  const temp = new TempDirs();
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await temp.cleanup();
  });

  it('runs a DAG in dependency order and finishes the run', async () => {
    const order: string[] = [];
    const work = new ScriptedStep('work', async (ctx) => {
      order.push(ctx.step.key);
      return done;
    });
    h = await engineHarness(await temp.make(), [work]);
    const id = await h.createRun([step('a', 'work'), step('b', 'work', ['a']), step('c', 'work', ['a']), step('d', 'work', ['b', 'c'])]);
    const run = await h.executor.waitForRun(id);
    expect(run.state).toBe('succeeded');
    expect(order[0]).toBe('a');
    expect(order[3]).toBe('d');
  });

  it('retries a step that fails with a retryable error, up to its attempts, then succeeds', async () => {
    const flaky = new ScriptedStep('flaky', async (_ctx, call) => {
      if (call < 3) throw new GantryError('GIT_FAILED', `network blip ${call}`, { retryable: true });
      return done;
    });
    h = await engineHarness(await temp.make(), [flaky]);
    const id = await h.createRun([step('f', 'flaky', [], {}, 3)]);
    expect((await h.executor.waitForRun(id)).state).toBe('succeeded');
    const [s] = await h.store.steps.forRun(id);
    expect(s?.attempt).toBe(3);
  });

  it('does not retry an error that is not marked retryable, and skips the steps that need it', async () => {
    const broken = new ScriptedStep('broken', async () => {
      throw new GantryError('GATE_FAILED', 'nope', { hint: 'fix it' });
    });
    const after = new ScriptedStep('after', async () => done);
    h = await engineHarness(await temp.make(), [broken, after]);
    const id = await h.createRun([step('x', 'broken', [], {}, 5), step('y', 'after', ['x']), step('z', 'after', ['y'])]);
    const run = await h.executor.waitForRun(id);
    expect(run.state).toBe('failed');
    expect(run.error).toMatchObject({ code: 'GATE_FAILED', hint: 'fix it' });
    expect(broken.calls).toHaveLength(1);
    expect(after.calls).toHaveLength(0);
    expect((await h.store.steps.forRun(id)).map((s) => s.state)).toEqual(['failed', 'skipped', 'skipped']);
  });

  it('stops a step at its timeout with STEP_TIMEOUT', async () => {
    const slow = new ScriptedStep('slow', (ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))));
    h = await engineHarness(await temp.make(), [slow]);
    const id = await h.createRun([step('s', 'slow', [], { timeoutMs: 100 })]);
    const run = await h.executor.waitForRun(id);
    expect(run.state).toBe('failed');
    expect(run.error?.code).toBe('STEP_TIMEOUT');
  });

  it('cancels a run: the running step is aborted, the rest never start', async () => {
    let started = false;
    const slow = new ScriptedStep('slow', (ctx) => {
      started = true;
      return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    });
    const after = new ScriptedStep('after', async () => done);
    h = await engineHarness(await temp.make(), [slow, after]);
    const id = await h.createRun([step('s', 'slow'), step('t', 'after', ['s'])]);
    await until('the slow step to start', () => started);
    await h.store.runs.requestCancel(id);
    h.executor.wake();
    const run = await h.executor.waitForRun(id);
    expect(run.state).toBe('cancelled');
    expect((await h.store.steps.forRun(id)).map((s) => s.state)).toEqual(['cancelled', 'cancelled']);
    expect(after.calls).toHaveLength(0);
  });

  it('keeps at most `concurrency` steps running at once', async () => {
    let running = 0;
    let peak = 0;
    const work = new ScriptedStep('work', async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 30));
      running--;
      return done;
    });
    h = await engineHarness(await temp.make(), [work], { concurrency: 2 });
    const id = await h.createRun(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => step(k, 'work')));
    expect((await h.executor.waitForRun(id)).state).toBe('succeeded');
    expect(peak).toBe(2);
  });

  it('lets one run at a time hold an environment lock; the next queues visibly and goes on when it is free', async () => {
    let release: (() => void) | undefined;
    const hold = new ScriptedStep('hold', (_ctx, call) => (call === 1 ? new Promise((r) => (release = () => r(done))) : Promise.resolve(done)));
    h = await engineHarness(await temp.make(), (store) => [hold, new EnvironmentLockStep(store)]);
    const first = await h.createRun([step('lock:dev', 'environment-lock', [], { environment: 'dev', timeoutMs: 60_000 }), step('hold', 'hold', ['lock:dev'])], 'dev');
    await until('the first run to hold the lock', async () => (await h?.store.locks.holder('dev'))?.runId === first);
    const second = await h.createRun([step('lock:dev', 'environment-lock', [], { environment: 'dev', timeoutMs: 60_000 }), step('hold', 'hold', ['lock:dev'])], 'dev');
    const waiting = await until('the second run to queue', async () => {
      const s = (await h?.store.steps.forRun(second))?.[0];
      return s?.state === 'waiting' ? s : undefined;
    });
    expect(waiting.message).toBe(`queued: run #${first} holds the dev lock`);
    await until('the first run to reach its held step', () => release !== undefined);
    release?.();
    expect((await h.executor.waitForRun(first)).state).toBe('succeeded');
    expect((await h.executor.waitForRun(second)).state).toBe('succeeded');
    expect(await h.store.locks.holder('dev')).toBeUndefined();
  });

  it('re-runs a step whose owner died once its lease has expired, and never one whose lease is live', async () => {
    const work = new ScriptedStep('work', async () => done);
    const dir = await temp.make();
    h = await engineHarness(dir, [work]);
    await h.executor.stop();
    const id = await h.createRun([step('a', 'work'), step('b', 'work')]);
    const [a, b] = await h.store.steps.forRun(id);
    // Two steps claimed by an executor that then died: one lease already expired, one still live.
    await h.store.steps.claim(a?.id ?? 0, 'dead-executor', Date.now() - 10_000, 1_000);
    await h.store.steps.claim(b?.id ?? 0, 'dead-executor', Date.now(), 60_000);
    h.executor.start();
    await until('the expired step to be re-run', () => work.calls.includes('a'));
    expect(work.calls).toEqual(['a']);
    const steps = await h.store.steps.forRun(id);
    expect(steps.map((s) => [s.key, s.state, s.attempt])).toEqual([
      ['a', 'succeeded', 2],
      ['b', 'running', 1],
    ]);
  });
});
