import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { DemoRefusal } from './demo-refusal.js';
import { waitUntil } from './wait-until.js';

/** A registry on 127.0.0.1 the demo started: where images are pushed and engines pull from. */
export interface DemoRegistry {
  /** `127.0.0.1:<port>`, as image references and gantry.yaml's registries name it. */
  readonly host: string;
  readonly logFile: string;
  stop(): Promise<void>;
}

/** Debian's docker-registry package (distribution 2.8): on PATH, else where Debian puts it. */
export function findDockerRegistry(): string | undefined {
  const onPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'docker-registry'));
  return [...onPath, '/usr/bin/docker-registry'].find((p) => existsSync(p));
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Starts docker-registry on a free loopback port with its storage in `dir` (plain HTTP: Docker
 * engines accept that on loopback without configuration), and waits until /v2/ answers.
 */
export async function startDemoRegistry(binary: string, dir: string): Promise<DemoRegistry> {
  await mkdir(join(dir, 'storage'), { recursive: true });
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'storage') }, delete: { enabled: true }, maintenance: { uploadpurging: { enabled: false } } },
    http: { addr: host, secret: randomBytes(16).toString('hex') },
  };
  const configFile = join(dir, 'config.yml');
  // JSON is YAML.
  await writeFile(configFile, JSON.stringify(config), { mode: 0o600 });
  const logFile = join(dir, 'registry.log');
  const fd = openSync(logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(binary, ['serve', configFile], { cwd: dir, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  let gone = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => (gone = true));
  const stop = async (): Promise<void> => {
    if (gone) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  };
  try {
    await waitUntil(`the registry to answer on ${host} (its log: ${logFile})`, async () => {
      if (gone) throw new DemoRefusal(`docker-registry exited at once; its log: ${logFile}`, 'Check that docker-registry runs (docker-registry --version).');
      const answer = await fetch(`http://${host}/v2/`).catch(() => undefined);
      await answer?.arrayBuffer();
      return answer?.status === 200 ? true : undefined;
    }, 20_000, 50);
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return { host, logFile, stop };
}
