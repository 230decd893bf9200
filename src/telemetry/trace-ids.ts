import { createHash } from 'node:crypto';
import type { Run } from '../domain/run.js';

/** What of a run its trace id is made from: fixed once the run is created, the same on every server. */
export type TracedRun = Pick<Run, 'id' | 'createdAt' | 'sha'>;

/**
 * A run's trace and span ids, derived from the run rather than drawn at random: a run resumes
 * after a restart or on another server of the same database, and a step finished there must join
 * the trace its first steps were sent in, and the TRACEPARENT a gate got before the restart must
 * name the span sent after it. The creation time and commit keep two installations' run #1 apart.
 */
export function runTraceId(run: TracedRun): string {
  return nonZero(digest(`gantry-run:${run.id}:${run.createdAt}:${run.sha}`, 32));
}

/** The run's own (root) span. */
export function runSpanId(run: TracedRun): string {
  return nonZero(digest(`${runTraceId(run)}:run`, 16));
}

/** One span per step, whatever its attempts: every attempt's commands get the same parent. */
export function stepSpanId(run: TracedRun, stepId: number): string {
  return nonZero(digest(`${runTraceId(run)}:step:${stepId}`, 16));
}

/** The W3C Trace Context header of a step's span (https://www.w3.org/TR/trace-context/), sampled. */
export function stepTraceparent(run: TracedRun, stepId: number): string {
  return `00-${runTraceId(run)}-${stepSpanId(run, stepId)}-01`;
}

function digest(text: string, hexChars: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, hexChars);
}

/** All zeros is the one invalid id; a hash giving it is as likely as a collision, but costs nothing to rule out. */
function nonZero(id: string): string {
  return /^0+$/.test(id) ? `${id.slice(0, -1)}1` : id;
}
