import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../kernel/logger.js';
import type { RunAsUser } from '../secrets/run-as.js';
import type { ServedRoute } from '../targets/local/route-layout.js';
import { Router } from './router/router.js';
import { RouterHost } from './router-link/router-host.js';
import { WorkerKeeper } from './worker-keeper.js';

export interface AgentProcessOptions {
  /**
   * Routes to serve from the start (what `gantry agent --config` works out of gantry.yaml); the
   * control plane tells the rest (PUT /v1/routes), and the state file brings them back on a restart.
   */
  readonly routes?: readonly ServedRoute[];
  readonly targetName: string;
  readonly dataDir: string;
  readonly host?: string;
  readonly port?: number;
  /** Read the token from here; made (mode 0600) when missing. */
  readonly tokenFile?: string;
  readonly logger: Logger;
  /** Revisions run as this user (see secrets/run-as.ts); left out: as the agent's own. */
  readonly runAs?: RunAsUser | null;
  /** Where revisions are unpacked; default `<dataDir>/revisions`. */
  readonly revisionsDir?: string;
  /** What runs the replicas: processes (default) or Docker containers (`--runtime docker`). */
  readonly runtime?: 'process' | 'docker';
  /** The Docker engine (`--docker-host unix:///…`); absent: DOCKER_HOST, else the engine's default socket. */
  readonly dockerHost?: string;
  /** A remote agent: the control API serves HTTPS on `host` with these PEM files. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** The address the routes listen on (default loopback): a remote host's, where users or its load balancer reach them. */
  readonly routeHost?: string;
}

export interface RunningAgent {
  readonly url: string;
  /** Stops every revision, then the routes. */
  close(): Promise<void>;
}

async function loadToken(file: string): Promise<string> {
  if (process.env.GANTRY_AGENT_TOKEN) return process.env.GANTRY_AGENT_TOKEN;
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const token = `gta_${randomBytes(24).toString('base64url')}`;
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return token;
}

/**
 * `gantry agent`: the data plane for the environments whose target is `targetName`, as two
 * processes. This one (the parent) runs the routers users' traffic goes through and nothing else
 * but a worker it keeps alive; the worker runs the revision processes, their health, the state
 * file and the control API. A worker that crashes costs no request: the routes stay here, their
 * connections stay open, and the next worker adopts the revisions still running.
 */
export async function startAgentProcess(o: AgentProcessOptions): Promise<RunningAgent> {
  await mkdir(o.dataDir, { recursive: true, mode: 0o700 });
  const token = await loadToken(o.tokenFile ?? join(o.dataDir, 'agent.token'));
  // Each route's connection limit (services.<name>.run.maxConnections) comes with it from the worker.
  const router = new Router({ logger: o.logger });
  const recorded = join(o.dataDir, 'agent.json');
  const keeper: WorkerKeeper = new WorkerKeeper({
    start: { routes: o.routes ?? [], targetName: o.targetName, dataDir: o.dataDir, host: o.host ?? '127.0.0.1', token, runAs: o.runAs?.name ?? null, revisionsDir: o.revisionsDir ?? null, runtime: o.runtime ?? 'process', dockerHost: o.dockerHost ?? null, ...(o.tls ? { tls: o.tls } : {}) },
    port: o.port ?? 0,
    host: new RouterHost(router, o.logger, o.routeHost),
    logger: o.logger,
    // Written whole (temp file, rename): the control plane polls for it while the agent starts.
    onReady: async (url, workerPid) => {
      await writeFile(`${recorded}.tmp`, JSON.stringify({ url, pid: process.pid, workerPid, target: o.targetName, runtime: o.runtime ?? 'process', dockerHost: o.dockerHost ?? null }, null, 2));
      await rename(`${recorded}.tmp`, recorded);
    },
  });
  let url: string;
  try {
    url = await keeper.start();
  } catch (error: unknown) {
    await keeper.stop();
    await router.close();
    throw error;
  }
  return {
    url,
    async close() {
      await keeper.stop();
      await router.close();
    },
  };
}
