import { afterEach, describe, expect, it } from 'vitest';
import { EnvironmentLockStep } from '../../src/steps/environment-lock.js';
import { engineHarness, step, type Harness } from '../support/engine-harness.js';
import { TempDirs } from '../support/temp.js';

/**
 * Specs as they sit in the store: the executor reads each with its kind's schema before the
 * handler runs. Runs are stored directly, as an older server (or a damaged row) left them.
 */
describe('the executor reading stored step specs', () => {
  const temp = new TempDirs();
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await temp.cleanup();
  });

  it('fails a step whose spec does not match its kind with STEP_SPEC_INVALID naming kind, key and field, before its handler runs, and keeps running other runs', async () => {
    h = await engineHarness(await temp.make(), (store) => [new EnvironmentLockStep(store)]);
    const bad = await h.createRun([step('lock:dev', 'environment-lock', [], { v: 1, environment: 'dev', timeoutMs: 'soon' })], 'dev');
    const run = await h.executor.waitForRun(bad);
    expect(run.state).toBe('failed');
    const [s] = await h.store.steps.forRun(bad);
    expect(s?.state).toBe('failed');
    expect(s?.attempt).toBe(1);
    expect(s?.error).toMatchObject({ code: 'STEP_SPEC_INVALID' });
    expect(s?.error?.message).toContain('environment-lock step lock:dev');
    expect(s?.error?.message).toMatch(/timeoutMs: .*expected number/);
    expect(s?.error?.hint).toMatch(/Start the run again/);
    const lines = (await h.store.logs.forRun(bad)).map((l) => l.text).join('\n');
    expect(lines).not.toContain('holding the dev lock');
    expect(lines).toContain('does not match its kind');
    // The executor is still working: the next run is taken up and finishes.
    const good = await h.createRun([step('lock:dev', 'environment-lock', [], { v: 1, environment: 'dev', timeoutMs: 60_000 })], 'dev');
    expect((await h.executor.waitForRun(good)).state).toBe('succeeded');
  });

  it('runs a step whose spec was stored before specs had a version, as version 1', async () => {
    h = await engineHarness(await temp.make(), (store) => [new EnvironmentLockStep(store)]);
    const id = await h.createRun([step('lock:staging', 'environment-lock', [], { environment: 'staging', timeoutMs: 86_400_000 })], 'staging');
    expect((await h.executor.waitForRun(id)).state).toBe('succeeded');
    const [s] = await h.store.steps.forRun(id);
    expect(s?.spec).toEqual({ environment: 'staging', timeoutMs: 86_400_000 });
    expect((await h.store.logs.forRun(id)).map((l) => l.text).join('\n')).toContain('holding the staging lock');
  });

  it('fails a spec written by a newer version it cannot read', async () => {
    h = await engineHarness(await temp.make(), (store) => [new EnvironmentLockStep(store)]);
    const id = await h.createRun([step('lock:dev', 'environment-lock', [], { v: 2, environment: 'dev', timeoutMs: 60_000 })], 'dev');
    expect((await h.executor.waitForRun(id)).state).toBe('failed');
    const [s] = await h.store.steps.forRun(id);
    expect(s?.error).toMatchObject({ code: 'STEP_SPEC_INVALID' });
    expect(s?.error?.message).toMatch(/v: /);
  });
});
