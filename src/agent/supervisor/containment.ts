import type { Logger } from 'pino';
import { CgroupContainment, cgroupBase } from './cgroup-containment.js';
import { MarkerContainment } from './marker-containment.js';

/**
 * Where every descendant of one supervised process lives, whatever it does to escape its process
 * group (`setsid`, Node's `detached: true`, a double fork): a cgroup v2 of its own when the agent
 * may make one, else a marker in the environment it inherits, found again in /proc/<pid>/environ.
 * Node cannot make the agent a child subreaper (prctl needs a native addon), hence these two.
 * Names derive from the agent's scope and the process id, so a later agent finds what an earlier
 * one (killed with -9) left, and kills it before it starts the same process again.
 */
export interface Containment {
  readonly kind: ContainmentKind;
  /** What to spawn instead of `/bin/sh -c command`, and what to add to its environment. */
  wrap(command: string): { readonly file: string; readonly args: readonly string[]; readonly env: Readonly<Record<string, string>> };
  /** Pids of its live (not zombie) processes. */
  members(): Promise<number[]>;
  /** A signal to every member; the ones that vanish meanwhile are no error. */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** SIGKILL to every member, until none is left or `timeoutMs` passed; true when none is left. */
  kill(timeoutMs: number): Promise<boolean>;
  /** Frees what holds it (the empty cgroup folder). */
  release(): Promise<void>;
}

export type ContainmentKind = 'cgroup' | 'marker';

export interface ContainmentFactory {
  readonly kind: ContainmentKind;
  for(processId: string): Containment;
}

/** `production/nest-api/7/0` → `production.nest-api.7.0`: one folder name, no path separators. */
export const containmentName = (processId: string): string => processId.replace(/[^A-Za-z0-9_.-]/g, '.');

/**
 * A cgroup when it works here (checked once by moving a real process into a test cgroup), else the
 * marker. `prefer: 'marker'` (or GANTRY_CONTAINMENT=marker in the agent's environment) skips the cgroup.
 */
export async function detectContainment(scope: string, logger: Logger, prefer: ContainmentKind | 'auto' = 'auto'): Promise<ContainmentFactory> {
  const base = prefer === 'marker' ? null : await cgroupBase(scope);
  if (base !== null) {
    logger.info({ cgroup: base.path }, 'revision processes run in a cgroup each');
    return { kind: 'cgroup', for: (id) => new CgroupContainment(base, containmentName(id)) };
  }
  if (prefer === 'cgroup') logger.warn('no writable cgroup v2 here; revision descendants are found by their environment marker');
  else logger.info('revision descendants are found by their environment marker (no writable cgroup v2)');
  return { kind: 'marker', for: (id) => new MarkerContainment(`${scope}:${containmentName(id)}`) };
}
