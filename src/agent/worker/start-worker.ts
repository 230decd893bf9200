import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Logger } from '../../kernel/logger.js';
import { resolveRunAs } from '../../secrets/run-as.js';
import { Agent } from '../agent.js';
import { buildAgentApi } from '../api.js';
import type { WorkerStart } from '../router-link/messages.js';
import type { RouterControl } from '../router-link/router-control.js';
import { Supervisor } from '../supervisor/supervisor.js';

export interface RunningWorker {
  readonly url: string;
  /** Stops the control API; with stopRevisions the revisions too (the agent stops), else they run on for the next worker to adopt. */
  close(options: { stopRevisions: boolean }): Promise<void>;
}

/** Stable per data folder: the next worker on it finds the cgroups and markers of what this one left. */
const scopeOf = (dataDir: string): string => createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);

/** GANTRY_CONTAINMENT=marker skips cgroups (a host where making them is not wanted); anything else: auto. */
function containmentChoice(): 'auto' | 'cgroup' | 'marker' {
  const chosen = process.env.GANTRY_CONTAINMENT;
  return chosen === 'marker' || chosen === 'cgroup' ? chosen : 'auto';
}

const inUse = (error: unknown): boolean => error instanceof Error && 'code' in error && error.code === 'EADDRINUSE';

/**
 * The agent worker: the supervisor of revision processes, their health, the state file and the
 * control API, driving the routers its parent runs. It restores what the last worker ran (and
 * routes it) before it opens a listener, so a restarted agent never answers NO_BACKEND.
 */
export async function startWorker(start: WorkerStart, router: RouterControl, logger: Logger): Promise<RunningWorker> {
  // The agent never reads gantry.yaml: its routes come from its start, the control plane and its state file.
  const served = start.routes;
  const startedAt = Date.now();
  // The supervisor reports every phase change; the agent (made next) routes by readiness and persists them.
  const holder: { agent?: Agent } = {};
  const supervisor = new Supervisor({ logger, onChange: (status) => holder.agent?.processChanged(status), scope: scopeOf(start.dataDir), containment: containmentChoice() });
  const agent = await Agent.start({
    served,
    dataDir: start.dataDir,
    router,
    supervisor,
    logger,
    runAs: start.runAs === null ? null : resolveRunAs(start.runAs),
    ...(start.revisionsDir ? { revisionsDir: start.revisionsDir } : {}),
  });
  holder.agent = agent;
  const facts = { ...start.parent, workerPid: process.pid, workerStartedAt: startedAt };
  const api = buildAgentApi(agent, start.token, logger, () => facts);
  try {
    await api.listen({ host: start.host, port: start.port });
  } catch (error: unknown) {
    // A restarted worker whose old port someone took meanwhile moves; the parent records where.
    if (!(inUse(error) && start.parent.workerRestarts > 0)) throw error;
    await api.listen({ host: start.host, port: 0 });
  }
  const address = api.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    async close({ stopRevisions }) {
      await api.close();
      await agent.close({ stopRevisions });
    },
  };
}
