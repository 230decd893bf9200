import { createHash } from 'node:crypto';

/**
 * The `id:` of an SSE event is where the stream stands after it; a client that reconnects sends the
 * last one back (Last-Event-ID) and the route goes on from there. Each stream has its own kind of
 * position, encoded here and decoded leniently: an id this server cannot read resumes nothing (the
 * stream starts as a new one would). Pure.
 */

const digest = (text: string): string => createHash('sha1').update(text).digest('base64url').slice(0, 8);

/**
 * A run's progress stream: what the client was told of the run and of each step, as a short digest
 * of each (`s.<runState>.<stepId>~<digest>...`), so a resumed stream sends exactly the steps that
 * changed since, however long the client was away.
 */
export interface RunProgressPosition {
  readonly runState: string;
  /** Step id → digest of what was sent of it. */
  readonly steps: ReadonlyMap<number, string>;
}

export const stepDigest = (fingerprint: string): string => digest(fingerprint);

export function encodeRunProgress(p: RunProgressPosition): string {
  const steps = [...p.steps].sort(([a], [b]) => a - b).map(([id, d]) => `${id.toString(36)}~${d}`);
  return ['s', p.runState, ...steps].join('.');
}

export function decodeRunProgress(id: string | undefined): RunProgressPosition | undefined {
  const [kind, runState, ...parts] = (id ?? '').split('.');
  if (kind !== 's' || runState === undefined || !/^[a-z_-]*$/.test(runState)) return undefined;
  const steps = new Map<number, string>();
  for (const part of parts) {
    const m = /^([0-9a-z]+)~([\w-]{1,16})$/.exec(part);
    if (!m?.[1] || !m[2]) return undefined;
    steps.set(parseInt(m[1], 36), m[2]);
  }
  return { runState, steps };
}

/** A run's log stream: the id of the last line sent (lines are numbered in the store, in order). */
export function decodeLogLine(id: string | undefined): number | undefined {
  return id !== undefined && /^\d{1,15}$/.test(id) ? Number(id) : undefined;
}

/**
 * A service's log follow: the revision and the last few lines sent of it (`r<rev>.<count>.<digest>`).
 * A target only shows "its last N lines", so a line has no number: a resumed follow finds the place
 * in the target's last lines where those lines end, and sends what comes after.
 */
export interface ServiceLogPosition {
  readonly revision: number;
  /** How many lines the digest covers (0: nothing of this revision sent yet). */
  readonly count: number;
  readonly digest: string;
}

/** Lines of context in a service log position: enough to tell places apart, unless the log repeats itself. */
export const SERVICE_LOG_CONTEXT = 5;

export function serviceLogPosition(revision: number, seen: readonly string[]): string {
  const last = seen.slice(-SERVICE_LOG_CONTEXT);
  return `r${revision}.${last.length}.${last.length === 0 ? '-' : digest(last.join('\n'))}`;
}

export function decodeServiceLog(id: string | undefined): ServiceLogPosition | undefined {
  const m = /^r(\d{1,9})\.(\d{1,2})\.([\w-]{1,16})$/.exec(id ?? '');
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  return { revision: Number(m[1]), count: Number(m[2]), digest: m[3] };
}

/**
 * The lines of `fetched` (a target's last lines) after the place `position` names: undefined when
 * that place is not among them (more lines than the window since, or a log that started over).
 */
export function linesAfter(position: ServiceLogPosition, fetched: readonly string[]): readonly string[] | undefined {
  if (position.count === 0) return fetched;
  for (let end = fetched.length; end >= position.count; end--) {
    if (digest(fetched.slice(end - position.count, end).join('\n')) === position.digest) return fetched.slice(end);
  }
  return undefined;
}
