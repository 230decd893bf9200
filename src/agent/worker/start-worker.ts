import { readFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import type { Logger } from '../../kernel/logger.js';
import { resolveRunAs } from '../../secrets/run-as.js';
import { Agent } from '../agent.js';
import { scopeOf } from '../agent-scope.js';
import { buildAgentApi } from '../api.js';
import type { WorkerStart } from '../router-link/messages.js';
import type { RouterControl } from '../router-link/router-control.js';
import type { ReplicaRuntime } from '../replica-runtime.js';
import { Supervisor, type ProcessStatus } from '../supervisor/supervisor.js';
import { containerRuntime } from './container-runtime-start.js';

export interface RunningWorker {
  readonly url: string;
  /** Stops the control API; with stopRevisions the revisions too (the agent stops), else they run on for the next worker to adopt. */
  close(options: { stopRevisions: boolean }): Promise<void>;
}

/** GANTRY_CONTAINMENT=marker skips cgroups (a host where making them is not wanted); anything else: auto. */
function containmentChoice(): 'auto' | 'cgroup' | 'marker' {
  const chosen = process.env.GANTRY_CONTAINMENT;
  return chosen === 'marker' || chosen === 'cgroup' ? chosen : 'auto';
}

const urlHost = (host: string): string => (isIPv6(host) ? `[${host}]` : host);

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
  const onChange = (status: ProcessStatus): void => holder.agent?.processChanged(status);
  const runtime: ReplicaRuntime =
    start.runtime === 'docker'
      ? await containerRuntime({ logger, onChange, scope: scopeOf(start.dataDir), dataDir: start.dataDir, dockerHost: start.dockerHost ?? null })
      : new Supervisor({ logger, onChange, scope: scopeOf(start.dataDir), containment: containmentChoice() });
  const agent = await Agent.start({
    served,
    dataDir: start.dataDir,
    router,
    runtime,
    logger,
    runAs: start.runAs === null ? null : resolveRunAs(start.runAs),
    ...(start.revisionsDir ? { revisionsDir: start.revisionsDir } : {}),
  });
  holder.agent = agent;
  const facts = { ...start.parent, workerPid: process.pid, workerStartedAt: startedAt, runtime: runtime.kind };
  // Read by each worker: a certificate renewed on disk takes effect at the next worker restart.
  const https = start.tls ? { cert: await readFile(start.tls.certFile, 'utf8'), key: await readFile(start.tls.keyFile, 'utf8') } : undefined;
  const api = buildAgentApi(agent, start.token, logger, () => facts, https);
  try {
    await api.listen({ host: start.host, port: start.port });
  } catch (error: unknown) {
    // A restarted worker whose old port someone took meanwhile moves; the parent records where.
    if (!(inUse(error) && start.parent.workerRestarts > 0)) throw error;
    await api.listen({ host: start.host, port: 0 });
  }
  const address = api.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = start.tls ? `https://${urlHost(start.host)}:${port}` : `http://127.0.0.1:${port}`;
  return {
    url,
    async close({ stopRevisions }) {
      await api.close();
      await agent.close({ stopRevisions });
    },
  };
}
