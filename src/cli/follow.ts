import { formatDuration } from '../config/duration.js';
import type { RunView, StepView } from '../server/views.js';
import type { ApiClient } from './client.js';
import { stateLabel, stateMark, type Output } from './output.js';

/** Prints a run's progress live, one line per step change, and returns the finished run. */
export async function followRun(client: ApiClient, out: Output, runId: number, options: { quiet?: boolean } = {}): Promise<RunView> {
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
