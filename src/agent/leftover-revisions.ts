import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { stopLeftoverContainers } from './containers/leftover-containers.js';
import { groupAlive, signalGroup } from './supervisor/process-group.js';
import { sameProcessAlive } from './supervisor/proc-scan.js';

/** As long as the supervisor's own stop grace: a revision gets the same time to finish. */
const GRACE_MS = 10_000;

interface RecordedRevisions {
  readonly services?: ReadonlyArray<{ readonly revisions?: ReadonlyArray<{ readonly pids?: readonly number[]; readonly startTimes?: ReadonlyArray<number | null> }> }>;
}

/**
 * Stops the revisions an agent that is no longer running left behind, processes and containers
 * (containers/leftover-containers.ts): revisions outlive their agent on purpose (the next one
 * adopts them), so stopping "every agent" must also reach those whose agent is gone. Only a process group whose leader is still the very process recorded
 * (same pid and start time in state.json) is signalled; a reused pid is never touched.
 */
export async function stopLeftoverRevisions(agentDataDir: string): Promise<number> {
  // The docker runtime's replicas are containers: found by their label on the agent's engine.
  const containers = await stopLeftoverContainers(agentDataDir);
  const text = await readFile(join(agentDataDir, 'state.json'), 'utf8').catch(() => '');
  if (text === '') return containers;
  const state = JSON.parse(text) as RecordedRevisions;
  const groups: number[] = [];
  for (const revision of (state.services ?? []).flatMap((s) => s.revisions ?? [])) {
    for (const [i, pid] of (revision.pids ?? []).entries()) {
      const startTime = revision.startTimes?.[i];
      if (pid > 1 && typeof startTime === 'number' && (await sameProcessAlive(pid, startTime))) groups.push(pid);
    }
  }
  // SIGCONT too: a stopped process acts on SIGTERM only once continued.
  for (const pgid of groups) for (const signal of ['SIGTERM', 'SIGCONT'] as const) signalGroup(pgid, signal);
  const deadline = Date.now() + GRACE_MS;
  for (const pgid of groups) {
    while ((await groupAlive(pgid)) && Date.now() < deadline) await delay(50);
    if (await groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
  }
  return groups.length + containers;
}
