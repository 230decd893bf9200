import { formatDuration } from '../config/duration.js';
import type { RunView, StepView } from '../server/views.js';
import type { ApiClient } from './client.js';
import { fitWidth, redrawPrefix, renderLiveView, withStart, type Awaiting, type LiveState } from './live-view.js';
import { stateLabel, stateMark, type Output } from './output.js';

/** A terminal a person watches: the view is redrawn in place there; a pipe, a log file or CI gets one line per change. */
function onTerminal(out: Output): boolean {
  return !out.json && process.stdout.isTTY === true && process.env.TERM !== 'dumb';
}

/** Prints a run's progress live and returns the finished run: redrawn in place on a terminal, one line per step change elsewhere. */
export async function followRun(client: ApiClient, out: Output, runId: number, options: { quiet?: boolean } = {}): Promise<RunView> {
  if (!options.quiet && onTerminal(out)) return followOnTerminal(client, out, runId);
  let finished: RunView | undefined;
  for await (const { event, data } of client.events(`/api/v1/runs/${runId}/events`)) {
    if (event === 'step' && !options.quiet && !out.json) out.out(stepLine(out, data as StepView));
    if (event === 'run' && !options.quiet && !out.json) {
      const run = data as RunView;
      if (run.state === 'running') out.out(out.paint('dim', `run #${run.id} running`));
    }
    if (event === 'end') finished = (data as { run: RunView }).run;
  }
  if (!finished) {
    const { run } = await client.request<{ run: RunView }>('GET', `/api/v1/runs/${runId}`);
    finished = run;
  }
  return finished;
}

interface RunDetail {
  run: RunView;
  steps: StepView[];
  awaiting: { step: string; kind: 'deploy' | 'analysis'; environment: string } | null;
}

/** Who the run waits for; for a deployment approval, with how many approvals it needs and who gave one (the approvals list). */
async function awaitingOf(client: ApiClient, runId: number, detail: RunDetail): Promise<Awaiting | null> {
  const a = detail.awaiting;
  if (!a || a.kind !== 'deploy') return a;
  const { approvals } = await client.request<{ approvals: Array<{ run: { id: number }; required: number; approvedBy: string[] }> }>('GET', '/api/v1/approvals').catch(() => ({ approvals: [] }));
  const mine = approvals.find((p) => p.run.id === runId);
  return { ...a, required: mine?.required, approvedBy: mine?.approvedBy };
}

/**
 * The live view: every step with its state and time, who the run waits for and the watch window's
 * countdown, redrawn in place each second and at each change, until the run ends.
 */
async function followOnTerminal(client: ApiClient, out: Output, runId: number): Promise<RunView> {
  const detail = await client.request<RunDetail>('GET', `/api/v1/runs/${runId}`);
  const seenAt = new Map<number, number>(detail.steps.map((s) => [s.id, Date.now()]));
  let state: LiveState = { run: detail.run, steps: detail.steps, awaiting: await awaitingOf(client, runId, detail), seenAt, since: detail.steps.reduce(withStart, new Map<number, number>()) };
  let drawn = 0;
  const draw = (): void => {
    const lines = renderLiveView(out, state, Date.now()).map((line) => fitWidth(line, process.stdout.columns || 100));
    process.stdout.write(`${redrawPrefix(drawn)}${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  draw();
  // A real timer: it refreshes what a person reads (elapsed times, the countdown), not the run's logic.
  const timer = setInterval(draw, 1_000);
  let finished: RunView | undefined;
  try {
    for await (const { event, data } of client.events(`/api/v1/runs/${runId}/events`)) {
      if (event === 'step') {
        const step = data as StepView;
        seenAt.set(step.id, Date.now());
        const known = state.steps.some((s) => s.id === step.id);
        state = { ...state, steps: known ? state.steps.map((s) => (s.id === step.id ? step : s)) : [...state.steps, step], since: withStart(state.since, step) };
      }
      if (event === 'run') state = { ...state, run: data as RunView };
      if (event === 'end') finished = (data as { run: RunView }).run;
      if (event === 'step' || event === 'run') {
        const now = await client.request<RunDetail>('GET', `/api/v1/runs/${runId}`).catch(() => undefined);
        // The run's own answer is newer than the event that prompted it: its steps replace what the events said.
        if (now) state = { ...state, run: now.run, steps: now.steps, since: now.steps.reduce(withStart, state.since), awaiting: await awaitingOf(client, runId, now) };
      }
      if (finished) state = { ...state, run: finished, awaiting: null };
      draw();
    }
  } finally {
    clearInterval(timer);
  }
  finished ??= (await client.request<RunDetail>('GET', `/api/v1/runs/${runId}`)).run;
  state = { ...state, run: finished, awaiting: null };
  draw();
  return finished;
}

export function stepLine(out: Output, s: StepView): string {
  const duration = s.durationMs === null ? '' : `  ${formatDuration(s.durationMs)}`;
  const extra: string[] = [];
  if (s.cached) extra.push(out.paint('cyan', 'cached'));
  const tests = s.summary?.tests as { passed?: number; failures?: number; errors?: number; tests?: number } | null | undefined;
  if (tests && typeof tests.tests === 'number') extra.push(`tests ${tests.passed ?? 0}/${tests.tests} passed`);
  const coverage = s.summary?.coverage as { percent?: number } | undefined;
  if (coverage && typeof coverage.percent === 'number') extra.push(`coverage ${coverage.percent.toFixed(1)}%`);
  // A passed image scan still says what it found (a failed one says it in its message).
  if (s.kind === 'image-scan' && s.state === 'succeeded' && typeof s.summary?.line === 'string') extra.push(s.summary.line);
  if (s.state === 'waiting' || s.state === 'failed' || s.state === 'skipped') if (s.message) extra.push(s.message);
  if (s.attempt > 1 && s.state === 'running') extra.push(`attempt ${s.attempt}/${s.maxAttempts}`);
  return `  ${stateMark(out, s.state)} ${s.name.padEnd(32)} ${stateLabel(out, s.state).replace(/^\S+ /, '')}${duration}${extra.length ? `  (${extra.join(', ')})` : ''}`;
}

export function runSummary(out: Output, run: RunView): string {
  const where = run.environment ? ` → ${run.environment}` : '';
  return `run #${run.id} ${stateLabel(out, run.state)}  ${run.trigger} ${run.ref}@${run.sha.slice(0, 7)}${where}${run.durationMs === null ? '' : `  ${formatDuration(run.durationMs)}`}`;
}

export function printFailure(out: Output, run: RunView): void {
  if (!run.error) return;
  out.err(out.paint('red', `  ${run.error.code}: ${run.error.message}`));
  if (run.error.hint) out.err(`  hint: ${run.error.hint}`);
  if (run.error.logTail && run.error.logTail.length > 0) {
    out.err(out.paint('dim', '  last lines of its log:'));
    for (const line of run.error.logTail) out.err(`    ${line}`);
  }
  out.err(`  full log: gantry logs ${run.id}`);
}

/** The end of every command that starts a run: watch it live (unless detached), report, exit code. */
export async function watchStartedRun(client: ApiClient, out: Output, run: RunView, detach: boolean): Promise<number> {
  if (detach) {
    if (out.json) out.printJson({ run });
    return 0;
  }
  const finished = await followRun(client, out, run.id, { quiet: out.json });
  if (out.json) out.printJson({ run: finished });
  else {
    out.out(runSummary(out, finished));
    for (const note of finished.notes) out.out(out.paint('dim', `  note: ${note}`));
    if (finished.state === 'failed') printFailure(out, finished);
  }
  return finished.state === 'succeeded' ? 0 : 1;
}
