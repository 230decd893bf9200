import { describe, expect, it } from 'vitest';
import type { Step } from '../../src/domain/run.js';
import { awaitingDecision } from '../../src/engine/awaiting-decision.js';

let id = 0;
const step = (key: string, kind: string, state: string, spec: Record<string, unknown> = {}): Step => ({
  id: (id += 1), runId: 1, key, kind, name: key, service: null, environment: 'production', needs: [], when: 'success', spec, position: id, state: state as Step['state'], message: null, attempt: 1, maxAttempts: 1,
  notBefore: 0, leaseOwner: null, leaseExpiresAt: null, pid: null, processHost: null, cached: false, summary: null, error: null, startedAt: null, finishedAt: null,
}) as Step;

const approvalSpec = { v: 1, environment: 'production', required: 2, approvers: [], confirmation: null, waitMs: 1, timeoutMs: 1 };
const notPaused = { analysisPaused: false, analysisDecided: false };
const paused = { analysisPaused: true, analysisDecided: false };

describe('which step awaits a person', () => {
  it('an approval step from when it asked until it ended, with its planned count', () => {
    for (const state of ['waiting', 'running']) {
      const got = awaitingDecision([step('build:api', 'build', 'succeeded'), step('approval:production', 'approval', state, approvalSpec)], notPaused);
      expect(got && { key: got.step.key, kind: got.kind, environment: got.environment, required: got.required }).toEqual({ key: 'approval:production', kind: 'deploy', environment: 'production', required: 2 });
    }
    for (const state of ['pending', 'succeeded', 'failed', 'skipped', 'cancelled']) expect(awaitingDecision([step('approval:production', 'approval', state, approvalSpec)], notPaused), state).toBeUndefined();
  });

  it('a watch step only while paused on an inconclusive window that nobody decided', () => {
    const watch = [step('approval:production', 'approval', 'succeeded', approvalSpec), step('watch:production', 'watch', 'waiting')];
    expect(awaitingDecision(watch, notPaused)).toBeUndefined();
    expect(awaitingDecision(watch, paused)).toMatchObject({ kind: 'analysis', environment: 'production', required: 1, step: { key: 'watch:production' } });
    expect(awaitingDecision(watch, { analysisPaused: true, analysisDecided: true })).toBeUndefined();
    expect(awaitingDecision([step('watch:production', 'watch', 'running')], paused)).toBeUndefined();
  });

  it('leaves the count to the caller when the approval spec cannot be read', () => {
    expect(awaitingDecision([step('approval:production', 'approval', 'waiting', {})], notPaused)?.required).toBeUndefined();
  });
});
