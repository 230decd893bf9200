import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { TempDirs, until } from './temp.js';
import { freePort } from './free-port.js';

/** Debian's docker-registry package: distribution 2.8 (`.ci/run` installs it). */
export const DOCKER_REGISTRY = '/usr/bin/docker-registry';

export interface TestRegistry {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The folder the registry stores blobs and manifests in. */
  readonly storage: string;
  /** Everything the registry wrote to stdout and stderr, for a failing test's message. */
  log(): string;
  stop(): Promise<void>;
}

export interface TestRegistryOptions {
  /** With users, the registry asks for htpasswd basic auth; without, it is open. */
  readonly users?: Readonly<Record<string, string>>;
  /** The address to listen on (default 127.0.0.1): another one reaches it from a network namespace (test/support/netns.ts). */
  readonly host?: string;
}


/**
 * Starts a real registry on 127.0.0.1 on a free port, with its storage and config in a temporary
 * folder, and waits until /v2/ answers (200 open, 401 with auth). `stop()` ends it (SIGTERM, then
 * SIGKILL after 5 s) and removes the folder; call it in afterAll.
 */
export async function startRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  if (!existsSync(DOCKER_REGISTRY)) throw new Error(`${DOCKER_REGISTRY} is missing: apt-get install docker-registry (.ci/run does it)`);
  const temp = new TempDirs();
  const dir = await temp.make('gantry-registry-');
  const storage = join(dir, 'storage');
  await mkdir(storage);
  const host = options.host ?? '127.0.0.1';
  const port = await freePort(host);
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: storage }, delete: { enabled: true }, maintenance: { uploadpurging: { enabled: false } } },
    http: { addr: `${host}:${port}`, secret: randomBytes(16).toString('hex') },
  };
  if (options.users) {
    // Distribution reads bcrypt hashes only; bcryptjs writes $2b$, which Go's bcrypt accepts.
    const lines = Object.entries(options.users).map(([user, password]) => `${user}:${bcrypt.hashSync(password, 5)}`);
    await writeFile(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
    config['auth'] = { htpasswd: { realm: 'gantry-test', path: join(dir, 'htpasswd') } };
  }
  const configFile = join(dir, 'config.yml');
  // JSON is YAML: no YAML writer needed.
  await writeFile(configFile, JSON.stringify(config));
  const child: ChildProcess = spawn(DOCKER_REGISTRY, ['serve', configFile], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://${host}:${port}`;
  const stop = async (): Promise<void> => {
    if (!gone) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    await temp.cleanup();
  };
  try {
    await until('the registry to answer /v2/', async () => {
      if (gone) throw new Error(`docker-registry exited: ${output.slice(-2000)}`);
      const answer = await fetch(`${url}/v2/`);
      await answer.arrayBuffer();
      return answer.status === 200 || answer.status === 401;
    }, 20_000, 50);
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return { url, storage, log: () => output, stop };
}
