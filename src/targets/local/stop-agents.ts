import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * What stops the revisions an agent that is gone left running (revisions outlive their agent on
 * purpose). The agent's own package knows its state file: the caller, an outer layer, passes it in.
 */
export type LeftoverStopper = (agentDataDir: string) => Promise<unknown>;

/**
 * Stops every agent recorded below `agentsDir` (one folder per target, each with its agent.json):
 * SIGTERM, so each stops its revisions cleanly, then waits for it to exit. The revisions of an
 * agent that is gone (killed with -9, and not started again) are stopped by `stopLeftovers`.
 */
export async function stopAgentProcesses(agentsDir: string, stopLeftovers?: LeftoverStopper, timeoutMs = 20_000): Promise<void> {
  if (!existsSync(agentsDir)) return;
  for (const name of await readdir(agentsDir)) {
    const file = join(agentsDir, name, 'agent.json');
    if (!existsSync(file)) continue;
    const { pid } = JSON.parse(await readFile(file, 'utf8')) as { pid: number };
    if (alive(pid)) {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + timeoutMs;
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
    // Also after a clean stop: a worker killed just before may have left what its agent no longer knew of.
    if (!alive(pid)) await stopLeftovers?.(join(agentsDir, name));
  }
}
