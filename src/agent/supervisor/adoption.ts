import type { Containment } from './containment.js';
import { identityOf } from './proc-scan.js';

/** What an earlier agent recorded of one replica's process (state.json). */
export interface RecordedProcess {
  /** Its process group id (the leader's pid); 0 when none ran. */
  readonly pid: number;
  /** The leader's start time (/proc field 22); absent in a state file of an agent before adoption. */
  readonly startTime?: number | null;
}

/**
 * - `adopt`: the same process still runs (same pid and start time, not a zombie) inside its containment.
 * - `gone`: nothing of it runs as that pid (dead, a zombie, or the pid now belongs to another process).
 * - `kill`: it is ours but cannot be taken over safely: recorded without a start time (its output
 *   went to pipes that died with the earlier agent) or found outside its containment.
 */
export type AdoptionVerdict = 'adopt' | 'gone' | 'kill';

export async function adoptionVerdict(recorded: RecordedProcess, containment: Containment): Promise<AdoptionVerdict> {
  const { pid, startTime } = recorded;
  if (!Number.isSafeInteger(pid) || pid <= 1 || pid === process.pid) return 'gone';
  const found = await identityOf(pid);
  if (found === undefined || found.state === 'Z' || found.state === 'X') return 'gone';
  if (startTime === undefined || startTime === null) return 'kill';
  // Another start time: the pid was reused by a process that is none of ours, which must not be touched.
  if (found.startTime !== startTime) return 'gone';
  return (await containment.members()).includes(pid) ? 'adopt' : 'kill';
}
