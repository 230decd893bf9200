import { describe, expect, it } from 'vitest';
import type { Run, Step } from '../../src/domain/run.js';
import { planRunProgress } from '../../src/engine/progress.js';

const run = (over: Partial<Run> = {}): Run => ({
  id: 1, trigger: 'push', branch: 'main', ref: 'main', sha: 'a', baseSha: null, environment: null, state: 'running', notes: [], author: null, authors: [],
  triggeredBy: 't', commitMessage: null, commitTime: null, error: null, cancelRequested: false, createdAt: 0, startedAt: 0, finishedAt: null, ...over,
});
let nextId = 1;
const step = (key: string, state: Step['state'], needs: string[] = [], over: Partial<Step> = {}): Step => ({
  id: nextId++, runId: 1, key, kind: 'k', name: key, service: null, environment: null, needs, when: 'success', spec: {}, position: 0, state, message: null,
  attempt: 0, maxAttempts: 1, notBefore: 0, leaseOwner: null, leaseExpiresAt: null, pid: null, processHost: null, cached: false, summary: null, error: null, startedAt: null, finishedAt: null, ...over,
});

describe('what a run needs next', () => {
  it('readies steps whose needs all succeeded, in plan order', () => {
    const p = planRunProgress(run(), [step('a', 'succeeded'), step('b', 'pending', ['a']), step('c', 'pending', ['b'])], 10);
    expect(p.ready.map((s) => s.key)).toEqual(['b']);
    expect(p.finish).toBeUndefined();
  });
  it('skips a whole chain behind a failure in one pass, naming the step that did not succeed', () => {
    const p = planRunProgress(run(), [step('a', 'failed'), step('b', 'pending', ['a']), step('c', 'pending', ['b'])], 10);
    expect(p.skip.map((s) => [s.step.key, s.reason])).toEqual([
      ['b', 'skipped: a did not succeed'],
      ['c', 'skipped: b did not succeed'],
    ]);
    expect(p.finish?.state).toBe('failed');
  });
  it('runs a clean-up step only when something it follows failed', () => {
    const failed = planRunProgress(run(), [step('deploy', 'failed'), step('rollback', 'pending', ['deploy'], { when: 'failure' })], 10);
    expect(failed.ready.map((s) => s.key)).toEqual(['rollback']);
    const fine = planRunProgress(run(), [step('deploy', 'succeeded'), step('rollback', 'pending', ['deploy'], { when: 'failure' })], 10);
    expect(fine.skip.map((s) => s.step.key)).toEqual(['rollback']);
    expect(fine.finish?.state).toBe('succeeded');
  });
  it('waits for every need of a clean-up step to settle before running it', () => {
    const p = planRunProgress(run(), [step('a', 'failed'), step('b', 'running'), step('rollback', 'pending', ['a', 'b'], { when: 'failure' })], 10);
    expect(p.ready).toEqual([]);
  });
  it('keeps the run failed, with the failing step’s error, even after its rollback succeeded', () => {
    const p = planRunProgress(run(), [step('deploy', 'failed', [], { error: { code: 'SMOKE_TEST_FAILED', message: 'bad' } }), step('rollback', 'succeeded', ['deploy'], { when: 'failure' })], 10);
    expect(p.finish).toEqual({ state: 'failed', error: { code: 'SMOKE_TEST_FAILED', message: 'deploy: bad' } });
  });
  it('on cancel, aborts running steps and cancels the rest, but still runs clean-up', () => {
    const steps = [step('deploy', 'running'), step('verify', 'pending', ['deploy']), step('rollback', 'pending', ['deploy', 'verify'], { when: 'failure' })];
    const p = planRunProgress(run({ cancelRequested: true }), steps, 10);
    expect(p.abort).toEqual([steps[0]?.id]);
    expect(p.cancel.map((s) => s.key)).toEqual(['verify']);
    expect(p.ready).toEqual([]);
    const later = planRunProgress(run({ cancelRequested: true }), [step('deploy', 'cancelled'), step('verify', 'cancelled', ['deploy']), step('rollback', 'pending', ['deploy', 'verify'], { when: 'failure' })], 10);
    expect(later.ready.map((s) => s.key)).toEqual(['rollback']);
  });
  it('re-readies a running step whose lease expired, and leaves a live lease alone', () => {
    const p = planRunProgress(run(), [step('a', 'running', [], { leaseExpiresAt: 5 }), step('b', 'running', [], { leaseExpiresAt: 50 })], 10);
    expect(p.ready.map((s) => s.key)).toEqual(['a']);
  });
  it('holds back a step until its not-before time (retry backoff, lock re-checks)', () => {
    expect(planRunProgress(run(), [step('a', 'pending', [], { notBefore: 20 })], 10).ready).toEqual([]);
    expect(planRunProgress(run(), [step('a', 'waiting', [], { notBefore: 20 })], 30).ready.map((s) => s.key)).toEqual(['a']);
  });
});
