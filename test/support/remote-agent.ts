import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI } from './server-process.js';
import { until } from './temp.js';

export interface RemoteAgentOptions {
  /** Run inside this network namespace (`nsenter --net=…`): the agent of a "host" (netns.ts). */
  readonly netns?: string;
  readonly target: string;
  /** host:port of the TLS control API. */
  readonly listen: string;
  readonly routeHost: string;
  /** The folder `gantry hosts issue --out` wrote (agent.crt, agent.key, agent.token). */
  readonly files: string;
  readonly dataDir: string;
  /** `--runtime docker --docker-host <dockerHost>`. */
  readonly dockerHost?: string;
}

export interface RemoteAgent {
  readonly child: ChildProcess;
  /** The control API's URL as the agent recorded it (https://…). */
  readonly url: string;
  output(): string;
  /** SIGTERM (the agent stops its revisions, then its routes), SIGKILL after 20 s. */
  stop(): Promise<void>;
}

/**
 * `gantry agent --listen … --tls-cert … --tls-key …` as a real process, as an operator starts it
 * on a host from what `gantry hosts issue` wrote; no gantry.yaml on the host (the routes come from
 * the control plane). Resolves once the agent recorded its address.
 */
export async function startRemoteAgent(o: RemoteAgentOptions): Promise<RemoteAgent> {
  const args = [
    CLI, 'agent', '--config', join(o.dataDir, 'no-gantry.yaml'), '--data-dir', o.dataDir, '--target', o.target,
    '--listen', o.listen, '--tls-cert', join(o.files, 'agent.crt'), '--tls-key', join(o.files, 'agent.key'), '--token-file', join(o.files, 'agent.token'),
    '--route-host', o.routeHost,
    ...(o.dockerHost ? ['--runtime', 'docker', '--docker-host', o.dockerHost] : []),
  ];
  const env = { ...process.env };
  delete env.GANTRY_AGENT_TOKEN;
  delete env.GANTRY_DATA_DIR;
  const [command, argv] = o.netns ? ['nsenter', [`--net=/var/run/netns/${o.netns}`, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const stop = async (): Promise<void> => {
    if (!alive()) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  };
  try {
    const url = await until(`the agent on ${o.listen} to start`, async () => {
      if (!alive()) throw new Error(`the agent exited with ${child.exitCode ?? child.signalCode}:\n${log}`);
      // nsenter without --pid execs the agent: the child's pid is the agent's.
      const record = JSON.parse(await readFile(join(o.dataDir, 'agent.json'), 'utf8').catch(() => '{}')) as { url?: string; pid?: number };
      return record.pid === child.pid ? record.url : undefined;
    }, 30_000);
    return { child, url, output: () => log, stop };
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}
