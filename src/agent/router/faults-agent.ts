import { GantryError } from '../../errors/index.js';
import type { ReplicaRuntime } from '../replica-runtime.js';
import type { ProcessStatus } from '../supervisor/process-spec.js';
import type { KilledReplica } from '../../targets/target.js';

export type { KilledReplica };

/**
 * Kills one replica of a revision with SIGKILL to its whole process group, as a crash would: the
 * supervisor sees it exit and restarts it with its usual backoff. The first ready replica is chosen,
 * so the kill takes capacity away rather than hitting one already down.
 */
export function killOneReplica(runtime: ReplicaRuntime, where: { environment: string; service: string; revision: number }, processIds: readonly string[]): KilledReplica {
  const label = `${where.environment}/${where.service} revision ${where.revision}`;
  if (runtime.kind !== 'process') {
    throw new GantryError('BAD_REQUEST', `cannot kill a replica of ${label}: the agent runs containers`, { hint: 'killReplica is for the process runtime; a docker agent leaves it to `docker kill`.' });
  }
  const statuses = processIds.map((id) => runtime.status(id)).filter((s): s is ProcessStatus => s !== undefined);
  const victim = statuses.find((s) => s.phase === 'ready' && s.pid !== null) ?? statuses.find((s) => s.pid !== null);
  if (victim?.pid == null) throw new GantryError('CONFLICT', `no replica of ${label} is running`, { hint: 'Kill a replica of a revision that runs (see gantry status).' });
  const index = processIds.indexOf(victim.id);
  try {
    process.kill(-victim.pid, 'SIGKILL');
  } catch (error: unknown) {
    throw new GantryError('CONFLICT', `cannot kill replica ${index} of ${label} (process group ${victim.pid}): ${error instanceof Error ? error.message : String(error)}`, { cause: error, hint: 'It may have just exited; try again.' });
  }
  return { replica: `${where.service}-r${where.revision}-${index}`, index, pid: victim.pid, restartsBefore: victim.restarts };
}
