import { describe, expect, it } from 'vitest';
import { elapsed, fitWidth, redrawPrefix, renderLiveView, watchRemainingMs, withStart, type LiveState } from '../../src/cli/live-view.js';
import { createOutput } from '../../src/cli/output.js';
import type { RunView, StepView } from '../../src/server/views.js';

const T0 = Date.parse('2026-01-01T10:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();
const plain = createOutput('text', { isTTY: false } as NodeJS.WriteStream);

function run(overrides: Partial<RunView> = {}): RunView {
  return {
    id: 7, trigger: 'dispatch', branch: 'main', ref: 'main', sha: 'abcdef1234567', baseSha: null, environment: 'production', state: 'running', notes: [], author: 'dev',
    authors: ['dev'], triggeredBy: 'admin', commitMessage: null, commitTime: null, error: null, createdAt: at(0), startedAt: at(0), finishedAt: null, durationMs: null, ...overrides,
  };
}

let nextId = 1;
function step(name: string, overrides: Partial<StepView> = {}): StepView {
  return {
    id: nextId++, key: name, kind: 'gate', name, service: null, environment: null, needs: [], state: 'queued', message: null, attempt: 1, maxAttempts: 1, cached: false,
    summary: null, error: null, startedAt: null, finishedAt: null, durationMs: null, ...overrides,
  };
}

const state = (steps: StepView[], extra: Partial<LiveState> = {}): LiveState => ({ run: run(), steps, awaiting: null, seenAt: new Map(), since: new Map(), ...extra });

describe('the live view of a followed run', () => {
  it('shows the run and each step with its elapsed time at the given clock', () => {
    const steps = [
      step('api › lint', { state: 'succeeded', startedAt: at(0), finishedAt: at(3_000), durationMs: 3_000 }),
      step('api › test', { state: 'running', startedAt: at(5_000) }),
      step('deploy api → production', { state: 'queued' }),
    ];
    const lines = renderLiveView(plain, state(steps), T0 + 65_000);
    expect(lines[0]).toBe('run #7 ▶ running  dispatch main@abcdef1 → production  1m 05s');
    expect(lines[1]).toMatch(/^ {2}✓ api › lint\s+succeeded\s+3s$/);
    expect(lines[2]).toMatch(/^ {2}▶ api › test\s+running\s+1m 00s$/);
    expect(lines[3]).toMatch(/^ {2}· deploy api → production\s+queued\s*$/);
    // A second later only the times move.
    const later = renderLiveView(plain, state(steps), T0 + 66_000);
    expect(later[0]).toMatch(/1m 06s$/);
    expect(later[2]).toMatch(/1m 01s$/);
    expect(later[1]).toBe(lines[1]);
  });

  it('says who an approval waits for: how many more approvals, who gave one, and the command', () => {
    const approval = step('approve production', { kind: 'approval', state: 'waiting', startedAt: at(10_000), message: 'waiting for approvals: 1/2 (alice)' });
    const lines = renderLiveView(plain, state([approval], { awaiting: { step: approval.key, kind: 'deploy', environment: 'production', required: 2, approvedBy: ['alice'] } }), T0 + 40_000);
    expect(lines[1]).toMatch(/… approve production\s+waiting\s+30s {2}waiting for approvals: 1\/2 \(alice\)$/);
    expect(lines[2]).toBe('  waiting for 1 more approval of 2 for production (approved by alice) — gantry approve 7');
  });

  it('counts a waiting step from its first start, though each recheck starts it again', () => {
    const first = step('approval production (1)', { kind: 'approval', state: 'running', startedAt: at(10_000) });
    const recheck = { ...first, state: 'waiting', startedAt: at(50_000) };
    const since = withStart(withStart(new Map(), first), recheck);
    expect(since.get(first.id)).toBe(T0 + 10_000);
    expect(renderLiveView(plain, state([recheck], { since }), T0 + 70_000)[1]).toMatch(/waiting\s+1m 00s$/);
    // Without a start seen before, the step's own start is used.
    expect(renderLiveView(plain, state([recheck]), T0 + 70_000)[1]).toMatch(/waiting\s+20s$/);
  });

  it('asks for a decision on an inconclusive watch window', () => {
    const watch = step('watch production', { kind: 'watch', state: 'waiting', startedAt: at(0), message: 'inconclusive watch window; waiting for a decision' });
    const lines = renderLiveView(plain, state([watch], { awaiting: { step: watch.key, kind: 'analysis', environment: 'production' } }), T0 + 1_000);
    expect(lines.at(-1)).toBe('  waiting for a person: the watch window of production was inconclusive — gantry approve 7 or gantry reject 7');
  });

  it("counts a watch window down from its last pass's message, second by second", () => {
    const watch = step('watch production', { kind: 'watch', state: 'waiting', startedAt: at(0), message: 'watching: 40 s of 300 s' });
    const seenAt = new Map([[watch.id, T0 + 40_000]]);
    expect(renderLiveView(plain, state([watch], { seenAt }), T0 + 40_000)[1]).toMatch(/watch window: 4m 20s left of 5m 00s$/);
    expect(renderLiveView(plain, state([watch], { seenAt }), T0 + 45_000)[1]).toMatch(/watch window: 4m 15s left of 5m 00s$/);
    // Never below zero while the last pass is awaited.
    expect(watchRemainingMs(watch, T0, T0 + 400_000)).toEqual({ remainingMs: 0, totalMs: 300_000 });
    expect(watchRemainingMs({ ...watch, state: 'succeeded' }, T0, T0)).toBeUndefined();
  });

  it('uses the finished duration once the run has ended', () => {
    const lines = renderLiveView(plain, state([], { run: run({ state: 'succeeded', finishedAt: at(12_000), durationMs: 12_000 }) }), T0 + 99_000);
    expect(lines[0]).toBe('run #7 ✓ succeeded  dispatch main@abcdef1 → production  12s');
  });

  it('formats elapsed times for a glance', () => {
    expect([elapsed(0), elapsed(59_999), elapsed(60_000), elapsed(3_599_000), elapsed(3_600_000 * 2 + 180_000), elapsed(-5)]).toEqual(['0s', '59s', '1m 00s', '59m 59s', '2h 03m', '0s']);
  });

  it('cuts lines to the terminal width without counting or cutting colour codes, and moves up over the last drawing', () => {
    const coloured = '\u001b[32m✓\u001b[39m abcdefghij';
    expect(fitWidth(coloured, 6)).toBe('\u001b[32m✓\u001b[39m abc');
    expect(fitWidth('short', 80)).toBe('short');
    expect(redrawPrefix(0)).toBe('');
    expect(redrawPrefix(4)).toBe('\u001b[4A\r\u001b[0J');
  });
});
