import { describe, expect, it } from 'vitest';
import type { Run, Step } from '../../src/domain/run.js';
import { declaredGates, MAX_DESCRIPTION, planStatuses, type StatusFacts } from '../../src/sources/github/commit-status.js';

const run = (over: Partial<Run> = {}): Run => ({
  id: 4, trigger: 'pull_request', branch: null, ref: 'pull/1/head', sha: 'a'.repeat(40), baseSha: null, environment: null, state: 'running', notes: [],
  author: null, triggeredBy: 'github pull request #1', commitMessage: null, commitTime: null, error: null, cancelRequested: false, createdAt: 0, startedAt: 0, finishedAt: null,
  ...over,
}) as Run;

let id = 0;
const gate = (service: string, name: string, over: Partial<Step> = {}): Step => ({
  id: (id += 1), runId: 4, key: `gate:${service}:${name}`, kind: 'gate', name: `${service} › ${name}`, service, environment: null, needs: [], when: 'success',
  spec: { service, gate: { name } }, position: id, state: 'pending', message: null, attempt: 0, maxAttempts: 1, notBefore: 0, leaseOwner: null, leaseExpiresAt: null,
  pid: null, processHost: null, cached: false, summary: null, error: null, startedAt: null, finishedAt: null,
  ...over,
}) as Step;

const facts = (steps: Step[], over: Partial<StatusFacts> = {}): StatusFacts => ({ run: run(), steps, declaredGates: ['api/lint', 'api/test', 'web/lint'], configValid: true, runUrl: 'https://g.example/#/runs/4', ...over });
const byContext = (f: StatusFacts) => new Map(planStatuses(f).map((s) => [s.context, s]));

describe('commit statuses of a run', () => {
  it('maps each gate step to its <service>/<gate> context, unfinished ones as one pending', () => {
    const s = byContext(facts([gate('api', 'lint', { state: 'running' }), gate('api', 'test', { state: 'waiting' })]));
    expect(s.get('api/lint')).toMatchObject({ state: 'pending', description: 'in progress', targetUrl: 'https://g.example/#/runs/4' });
    expect(s.get('api/test')?.state).toBe('pending');
    expect(s.get('gantry/run')).toMatchObject({ state: 'pending', description: 'run #4 in progress' });
  });

  it('reports success, failure, and error for a skipped or cancelled gate', () => {
    const s = byContext(
      facts([
        gate('api', 'lint', { state: 'succeeded', cached: true }),
        gate('api', 'test', { state: 'failed', error: { code: 'GATE_FAILED', message: 'test exited with code 1' } }),
        gate('web', 'lint', { state: 'skipped', message: 'an earlier gate failed' }),
      ], { run: run({ state: 'failed' }) }),
    );
    expect(s.get('api/lint')).toMatchObject({ state: 'success', description: expect.stringMatching(/cached/) });
    expect(s.get('api/test')).toMatchObject({ state: 'failure', description: 'failed: test exited with code 1' });
    expect(s.get('web/lint')).toMatchObject({ state: 'error', description: 'not run: an earlier gate failed' });
    expect(s.get('gantry/run')).toMatchObject({ state: 'failure', description: 'run #4 failed at api › test: test exited with code 1' });
  });

  it('reports gates the change does not touch as success, so required checks do not wait forever', () => {
    const s = byContext(facts([gate('api', 'lint', { state: 'succeeded' })]));
    expect(s.get('web/lint')).toMatchObject({ state: 'success', description: 'not run: web is not affected by this change' });
  });

  it('reports every gate as error when the commit’s gantry.yaml is not valid', () => {
    const s = byContext(facts([], { configValid: false, run: run({ state: 'failed', error: { code: 'CONFIG_INVALID_VALUE', message: 'gantry.yaml is not valid' } }) }));
    expect([...s.values()].filter((x) => x.context !== 'gantry/run').map((x) => x.state)).toEqual(['error', 'error', 'error']);
    expect(s.get('gantry/run')?.state).toBe('failure');
  });

  it('keeps descriptions within GitHub’s 140 characters and reports a cancelled run as error', () => {
    const s = byContext(facts([gate('api', 'lint', { state: 'failed', error: { code: 'GATE_FAILED', message: 'x'.repeat(500) } })], { run: run({ state: 'cancelled' }) }));
    expect(s.get('api/lint')?.description.length).toBe(MAX_DESCRIPTION);
    expect(s.get('gantry/run')).toMatchObject({ state: 'error', description: 'run #4 was cancelled' });
  });

  it('reads the declared gates from a stored config, and none from a broken one', () => {
    expect(declaredGates(JSON.stringify({ services: { api: { gates: [{ name: 'lint' }, { name: 'test' }] }, web: { gates: [] } } }))).toEqual(['api/lint', 'api/test']);
    expect(declaredGates('{not json')).toBeUndefined();
  });
});
