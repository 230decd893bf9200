import type { RunView, StepView } from '../server/views.js';
import { stateMark, type Output } from './output.js';

/** Who a run waits for, as GET /api/v1/runs/:id says (`awaiting`), with the approvals list's counts when it is a deployment approval. */
export interface Awaiting {
  readonly step: string;
  readonly kind: 'deploy' | 'analysis';
  readonly environment: string;
  readonly required?: number | undefined;
  readonly approvedBy?: readonly string[] | undefined;
}

/** What the live view shows: the run, its steps in plan order, who it waits for, and when each step's message was last seen. */
export interface LiveState {
  readonly run: RunView;
  readonly steps: readonly StepView[];
  readonly awaiting: Awaiting | null;
  /** Step id → epoch ms its current message arrived: a watch window's countdown runs on from there. */
  readonly seenAt: ReadonlyMap<number, number>;
  /** Step id → the earliest start seen for it: a step that waits is started again at each pass (an approval's recheck), its time counts from the first. */
  readonly since: ReadonlyMap<number, number>;
}

/** The map of earliest starts with this step's current start taken in. */
export function withStart(since: ReadonlyMap<number, number>, s: StepView): Map<number, number> {
  const next = new Map(since);
  const started = s.startedAt === null ? null : Date.parse(s.startedAt);
  const known = next.get(s.id);
  if (started !== null && (known === undefined || started < known)) next.set(s.id, started);
  return next;
}

/** 4s, 1m 05s, 2h 03m: wide enough to read at a glance, changing each second. */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

const time = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** A step's time: since its first start while it runs or waits (then to its end), nothing before it started. */
function stepTime(s: StepView, first: number | undefined, now: number): string {
  const started = first ?? time(s.startedAt);
  if (started === null) return '';
  const ended = time(s.finishedAt);
  if (ended !== null) return elapsed(first === undefined && s.durationMs !== null ? s.durationMs : ended - started);
  return elapsed(now - started);
}

function runTime(run: RunView, now: number): string {
  if (run.durationMs !== null) return elapsed(run.durationMs);
  const started = time(run.startedAt) ?? time(run.createdAt);
  return started === null ? '' : elapsed(now - started);
}

/**
 * The watch step says how far its window is (`watching: 40 s of 300 s`, steps/watch.ts) each pass;
 * between passes the countdown runs on from when that message arrived.
 */
export function watchRemainingMs(s: StepView, seenAt: number | undefined, now: number): { remainingMs: number; totalMs: number } | undefined {
  const m = /^watching: (\d+) s of (\d+) s/.exec(s.message ?? '');
  if (!m || s.state !== 'waiting' && s.state !== 'running') return undefined;
  const totalMs = Number(m[2]) * 1000;
  const since = seenAt === undefined ? 0 : Math.max(0, now - seenAt);
  return { remainingMs: Math.max(0, totalMs - Number(m[1]) * 1000 - since), totalMs };
}

function waitingLine(out: Output, state: LiveState): string | undefined {
  const a = state.awaiting;
  if (!a) return undefined;
  if (a.kind === 'analysis') return out.paint('yellow', `  waiting for a person: the watch window of ${a.environment} was inconclusive — gantry approve ${state.run.id} or gantry reject ${state.run.id}`);
  const approved = a.approvedBy ?? [];
  const needed = a.required === undefined ? 'approvals' : `${Math.max(0, a.required - approved.length)} more approval${a.required - approved.length === 1 ? '' : 's'} of ${a.required}`;
  const so = approved.length > 0 ? ` (approved by ${approved.join(', ')})` : '';
  return out.paint('yellow', `  waiting for ${needed} for ${a.environment}${so} — gantry approve ${state.run.id}`);
}

/** The whole view as lines, for a terminal redrawn in place; pure (the clock is `now`). */
export function renderLiveView(out: Output, state: LiveState, now: number): string[] {
  const { run } = state;
  const where = run.environment ? ` → ${run.environment}` : '';
  const lines = [`run #${run.id} ${stateMark(out, run.state)} ${run.state}  ${run.trigger} ${run.ref}@${run.sha.slice(0, 7)}${where}  ${out.paint('bold', runTime(run, now))}`];
  for (const s of state.steps) {
    const extra: string[] = [];
    const watch = watchRemainingMs(s, state.seenAt.get(s.id), now);
    if (watch) extra.push(`watch window: ${elapsed(watch.remainingMs)} left of ${elapsed(watch.totalMs)}`);
    else if ((s.state === 'waiting' || s.state === 'failed' || s.state === 'running') && s.message) extra.push(s.message);
    if (s.attempt > 1 && s.state === 'running') extra.push(`attempt ${s.attempt}/${s.maxAttempts}`);
    const when = stepTime(s, state.since.get(s.id), now);
    lines.push(`  ${stateMark(out, s.state)} ${s.name.padEnd(32)} ${s.state.padEnd(9)} ${when.padStart(7)}${extra.length > 0 ? `  ${out.paint('dim', extra.join(', '))}` : ''}`);
  }
  const waiting = waitingLine(out, state);
  if (waiting) lines.push(waiting);
  return lines;
}

/** Cuts a line to the terminal's width, counting only what shows (not colour codes), so a redraw's line count stays true. */
export function fitWidth(line: string, columns: number): string {
  let shown = 0;
  let result = '';
  for (let i = 0; i < line.length; i++) {
    // eslint-disable-next-line no-control-regex -- an ANSI escape is what is matched
    const escape = /^\u001b\[[0-9;]*[A-Za-z]/.exec(line.slice(i));
    if (escape) {
      result += escape[0];
      i += escape[0].length - 1;
      continue;
    }
    if (shown >= columns - 1) continue;
    result += line[i];
    shown++;
  }
  return result;
}

/** Moves the cursor up over the previous drawing and erases it: the view is redrawn in place. */
export const redrawPrefix = (previousLines: number): string => (previousLines > 0 ? `\u001b[${previousLines}A\r\u001b[0J` : '');
