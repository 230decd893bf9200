import type { AgentView } from '../../server/agent-views.js';
import { isGantryError } from '../../errors/index.js';
import { ApiClient } from '../client.js';
import type { Connection } from '../context.js';
import { fail, ok, warn, type Check } from './check.js';
import { probeServer } from './server-probe.js';

export interface ServerFindings {
  readonly checks: Check[];
  /** The local agents as the server reports them, when it answered: the port checks name their listeners. */
  readonly agents: readonly AgentView[] | undefined;
}

const START_FIX = 'Start it with `gantry server`, or point the CLI at it: `gantry login <url>`, --server or GANTRY_SERVER.';

/** Reachability, then (only when it answers) the token, then each local agent the server watches. */
export async function serverChecks(connection: Connection): Promise<ServerFindings> {
  const { server, serverFrom, token, tokenFrom } = connection;
  const probe = await probeServer(server);
  if (!probe.ok) return { checks: [fail('server', `${server} (${serverFrom}) ${probe.error}`, START_FIX)], agents: undefined };
  const checks = [ok('server', `${server} answers, version ${probe.version} (${serverFrom})`)];
  if (token === undefined) {
    checks.push(fail('token', 'no token: the API refuses every request without one', `Run \`gantry login ${server}\` with a token from \`gantry token create\`, or pass --token.`));
    return { checks, agents: undefined };
  }
  const client = new ApiClient(server, token);
  try {
    const who = await client.request<{ user: string | null; roles: string[] }>('GET', '/api/v1/whoami');
    checks.push(ok('token', `${who.user ?? 'unknown'} (${who.roles.join(', ') || 'no roles'}), ${tokenFrom ?? ''}`.replace(/, $/, '')));
  } catch (error: unknown) {
    const what = isGantryError(error) ? `${error.code}: ${error.message}` : String(error);
    checks.push(fail('token', `the token (${tokenFrom ?? 'unknown source'}) is refused: ${what}`, `Make a new one with \`gantry token create\` (an admin), then \`gantry login ${server}\`.`));
    return { checks, agents: undefined };
  }
  let agents: AgentView[];
  try {
    ({ agents } = await client.request<{ agents: AgentView[] }>('GET', '/api/v1/agents'));
  } catch (error: unknown) {
    checks.push(warn('agents', `cannot list the local agents: ${isGantryError(error) ? error.message : String(error)}`, 'Use a token with the viewer role or more.'));
    return { checks, agents: undefined };
  }
  for (const a of agents) checks.push(agentCheck(a));
  return { checks, agents };
}

function agentCheck(a: AgentView): Check {
  const name = `agent ${a.target}`;
  const where = a.environments.length > 0 ? ` (${a.environments.join(', ')})` : '';
  switch (a.state) {
    case 'healthy':
      return ok(name, `healthy, pid ${a.pid ?? '?'}${where}`);
    case 'never-started':
      return ok(name, `not started yet${where}: the server starts it at the first deployment`);
    case 'starting':
      return warn(name, `starting again${where}`, 'Run `gantry doctor` again in a few seconds; if it stays, see `gantry status` and the server log.');
    case 'stopped':
      return warn(name, `stopped on purpose${where}`, 'The server starts it again at the next deployment, or restart the server.');
    default:
      return fail(name, `${a.state}${where}${a.error ? `: ${a.error}` : ''}`, 'See `gantry status <env>` and the server log; the server restarts a gone agent by itself (docs/agent.md).');
  }
}
