import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { OciLayout, packBundle } from '../../src/artifacts/index.js';
import { ociLayoutRef } from '../../src/targets/artifact-ref.js';
import { cliEntry } from '../../src/targets/local/agent-launcher.js';
import { LocalTarget } from '../../src/targets/local/local-target.js';
import type { RevisionSpec, RevisionStatus } from '../../src/targets/target.js';
import { until, type TempDirs } from './temp.js';

/**
 * `gantry agent` as a user starts it (`node dist/cli/main.js agent …`; run the server build first),
 * serving the `local` target's environments, with one real artifact: a tiny node:http service that
 * answers `/healthz` and, on any other path, who it is.
 */
export const SERVICE_JS = `import { createServer } from 'node:http';
const server = createServer((req, res) => {
  if (req.url === '/healthz') { res.end('ok'); return; }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: process.env.GANTRY_SERVICE, revision: process.env.GANTRY_REVISION }));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

export interface Artifact {
  readonly layout: string;
  readonly digest: string;
}

export async function serviceArtifact(temp: TempDirs): Promise<Artifact> {
  if (!existsSync(cliEntry())) throw new Error(`${cliEntry()} is missing: run \`npx tsc -p tsconfig.build.json\` first`);
  const root = await temp.make('gantry-agent-artifact-');
  await mkdir(join(root, 'service'));
  await writeFile(join(root, 'service', 'server.mjs'), SERVICE_JS);
  const store = new OciLayout(join(root, 'layout'));
  await store.init();
  const stored = await store.put('svc', await packBundle(join(root, 'service')));
  return { layout: join(root, 'layout'), digest: stored.manifestDigest };
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive free loopback ports in [from, from + span). */
export async function freePorts(from: number, span: number, count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = from + Math.floor(Math.random() * (span - count));
    const free = await Promise.all(Array.from({ length: count }, (_, i) => isFree(port + i)));
    if (free.every(Boolean)) return port;
  }
  throw new Error(`no ${count} free loopback ports in ${from}–${from + span}`);
}

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly token: string;
  readonly dataDir: string;
  readonly target: LocalTarget;
  readonly output: () => string;
  stop(): Promise<void>;
}

export interface SpawnAgentOptions {
  /** `-n 1024` …: /bin/sh sets that limit first, then execs the agent (same pid, nothing left in between). */
  readonly ulimit?: string;
  /** `--runtime docker --docker-host <dockerHost>`: replicas as containers of that engine. */
  readonly docker?: { readonly dockerHost: string };
  /** Another agent on the data folder (and token) of one that was killed: it adopts what that one left. */
  readonly after?: AgentProcess;
}

/** Spawns `gantry agent --target local` on `configText` (see SpawnAgentOptions). */
export async function spawnAgent(temp: TempDirs, configText: string, options: SpawnAgentOptions = {}): Promise<AgentProcess> {
  const root = options.after ? join(options.after.dataDir, '..') : await temp.make('gantry-agent-');
  const configPath = join(root, 'gantry.yaml');
  await writeFile(configPath, configText);
  const dataDir = join(root, 'data');
  const token = options.after?.token ?? `gta_test_${Math.random().toString(36).slice(2)}`;
  const tokenFile = join(root, 'agent.token');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  const env = { ...process.env };
  delete env.GANTRY_AGENT_TOKEN;
  delete env.GANTRY_DATA_DIR;
  const args = [cliEntry(), 'agent', '--config', configPath, '--data-dir', dataDir, '--target', 'local', '--port', '0', '--token-file', tokenFile, ...(options.docker ? ['--runtime', 'docker', '--docker-host', options.docker.dockerHost] : [])];
  const [command, argv] = options.ulimit === undefined ? [process.execPath, args] : ['/bin/sh', ['-c', `ulimit ${options.ulimit} && exec "$0" "$@"`, process.execPath, ...args]];
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const stop = async (): Promise<void> => {
    if (alive()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    // A revision the agent did not stop must not outlive the test.
    for (const pid of await processesIn(root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  try {
    // An agent that exits before it answers says why at once, not after the wait's deadline.
    const early = new Promise<never>((_, reject) => child.once('close', () => reject(new Error(`the agent exited with ${child.exitCode ?? child.signalCode}:\n${log}`))));
    early.catch(() => undefined);
    const started = until(
      `agent (pid ${child.pid}) to start`,
      async () => {
        if (!alive()) throw new Error(`the agent exited with ${child.exitCode ?? child.signalCode}:\n${log}`);
        const record = JSON.parse(await readFile(join(dataDir, 'agent.json'), 'utf8')) as { url: string; pid: number };
        if (record.pid !== child.pid) return undefined;
        const res = await fetch(`${record.url}/v1/health`, { headers: { authorization: `Bearer ${token}` } });
        return res.ok ? record.url : undefined;
      },
      20_000,
    );
    started.catch(() => undefined);
    const url = await Promise.race([early, started]);
    return { child, url, token, dataDir, target: new LocalTarget('local', () => Promise.resolve(url), token), output: () => log, stop };
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}

/** Pids of live processes whose working folder is inside `dir` (Linux /proc). */
async function processesIn(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push(Number(name));
  }
  return found;
}

export function revisionSpec(artifact: Artifact, environment: string, service: string, revision: number): RevisionSpec {
  return {
    environment,
    service,
    revision,
    release: `rel${revision}abc`,
    artifact: { digest: artifact.digest, ref: ociLayoutRef(artifact.layout, artifact.digest) },
    command: 'node server.mjs',
    env: {},
    secretKeys: [],
    replicas: 1,
    health: { path: '/healthz', expectStatus: 200, intervalMs: 100, timeoutMs: 1_000 },
  };
}

export async function revisionOf(agent: AgentProcess, environment: string, service: string, revision: number): Promise<RevisionStatus | undefined> {
  const found = (await agent.target.describe(environment)).find((s) => s.service === service);
  return found?.revisions.find((r) => r.revision === revision);
}

/** Starts revision 1 of each service and gives it all of the main route once it is ready. */
export async function serveRevisionOne(agent: AgentProcess, artifact: Artifact, environment: string, services: readonly string[]): Promise<void> {
  for (const service of services) await agent.target.startRevision(revisionSpec(artifact, environment, service, 1));
  for (const service of services) {
    await until(`revision 1 of ${environment}/${service} to be ready`, async () => (await revisionOf(agent, environment, service, 1))?.phase === 'ready', 20_000);
    await agent.target.setWeights(environment, service, 'main', { '1': 100 });
  }
}
