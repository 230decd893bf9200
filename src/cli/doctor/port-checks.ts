import type { GantryConfig } from '../../config/types.js';
import type { AgentView } from '../../server/agent-views.js';
import { routeLayout } from '../../targets/local/route-layout.js';
import { fail, ok, warn, type Check } from './check.js';
import { describeListener, listenerOf, tcpListeners } from './listeners.js';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '0.0.0.0', '[::1]', '[::]']);

interface RoutePort {
  readonly port: number;
  readonly target: string;
  readonly what: string;
  readonly service: string;
}

function routePorts(config: GantryConfig): RoutePort[] {
  return Object.values(config.targets)
    .filter((t) => t.kind === 'local')
    .flatMap((t) =>
      routeLayout(config, t.name).flatMap((r) => [
        { port: r.port, target: t.name, what: `${r.environment}/${r.service}`, service: r.service },
        ...(r.previewPort === undefined ? [] : [{ port: r.previewPort, target: t.name, what: `${r.environment}/${r.service} preview`, service: r.service }]),
      ]),
    );
}

/**
 * Who listens on the server's port (when it is on this machine) and on each route port of the local
 * targets. A route port belongs to its target's agent: held by another process, the agent cannot
 * serve it. Without the agents' pids (the server did not answer) a held port is only worth a look.
 */
export async function portChecks(serverUrl: string, serverOk: boolean, config: GantryConfig | undefined, agents: readonly AgentView[] | undefined): Promise<Check[]> {
  const all = await tcpListeners();
  const checks: Check[] = [];
  const url = new URL(serverUrl);
  if (LOCAL_HOSTS.has(url.hostname)) {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const holder = await listenerOf(port, all);
    const name = `port ${port}`;
    if (!holder) checks.push(ok(name, 'the server port: free (no server runs here)'));
    else if (serverOk) checks.push(ok(name, `the server port: held by ${describeListener(holder)}, the Gantry server`));
    else checks.push(fail(name, `the server port: held by ${describeListener(holder)}, which is not a Gantry server`, `Stop it${holder.pid !== null ? ` (kill ${holder.pid})` : ''}, or start the server on another port: \`gantry server --port <n>\`.`));
  }
  for (const r of config ? routePorts(config) : []) {
    const name = `port ${r.port}`;
    const holder = await listenerOf(r.port, all);
    const agent = agents?.find((a) => a.target === r.target);
    if (!holder) {
      checks.push(ok(name, `${r.what}: free${agent?.state === 'healthy' ? '' : ' (its agent is not serving it yet)'}`));
      continue;
    }
    const byAgent = agent?.pid !== null && agent?.pid !== undefined && holder.pid === agent.pid;
    if (byAgent) checks.push(ok(name, `${r.what}: held by the agent of ${r.target} (pid ${holder.pid})`));
    else {
      const fix = `Stop ${describeListener(holder)}${holder.pid !== null ? ` (kill ${holder.pid})` : ''}, or move the route: services.${r.service}.run.port (or the environment's portOffset).`;
      const detail = `${r.what}: held by ${describeListener(holder)}, not by the agent of ${r.target}`;
      checks.push(agents && agent?.state === 'healthy' && holder.pid !== null ? fail(name, detail, fix) : warn(name, `${detail} as far as this can tell`, fix));
    }
  }
  return checks;
}
