import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { create as createTar } from 'tar';
import { baseRootfs, followProgress } from '../../src/cli/demo/demo-base-image.js';
import { TempDirs, until } from './temp.js';

/** Debian's docker.io (dockerd 20.10); `.ci/run` installs it. */
export const DOCKERD = '/usr/sbin/dockerd';
/** The engine's API version: the newer client on a developer machine must not ask for more. */
export const DOCKER_API_VERSION = 'v1.41';
export const BASE_IMAGE = 'gantry-test/node-base:1';

export interface TestDockerd {
  /** The engine's API socket (a unix socket in the test's temporary folder). */
  readonly socket: string;
  /** `unix://<socket>`, what `gantry agent --docker-host` and DOCKER_HOST take. */
  readonly dockerHost: string;
  readonly docker: Docker;
  /** The engine's storage: the secret sweep and the tests read it. */
  readonly dataRoot: string;
  /** What dockerd wrote, for a failing test's message. */
  log(): string;
  /** Removes every container, stops the engine and its containerd, removes its folders. */
  stop(): Promise<void>;
}

export interface TestDockerdOptions {
  /** Start the engine inside this network namespace (`ip netns add`): its host-network containers live there. */
  readonly netns?: string;
  /** Registries reached over plain HTTP other than loopback ones (which an engine always allows), `host:port`. */
  readonly insecureRegistries?: readonly string[];
}

/** Whether a private engine can start here: the tests that need one run in CI as root with docker.io installed. */
export function dockerAvailable(): boolean {
  return existsSync(DOCKERD) && process.getuid?.() === 0;
}

/**
 * A private Docker engine for one test file: no bridge and no iptables (this machine's kernel
 * setup), its own data root, exec root and socket in a short temporary folder (unix socket paths
 * are limited to 108 bytes). In a network namespace, it is entered with nsenter --net only:
 * `ip netns exec` would remount /sys, where dockerd then finds no cgroups.
 */
export async function startDockerd(temp: TempDirs, options: TestDockerdOptions = {}): Promise<TestDockerd> {
  if (!dockerAvailable()) throw new Error(`${DOCKERD} is missing or we are not root: apt-get install docker.io as root (.ci/run does it)`);
  const dir = await temp.make('gd-');
  const socket = join(dir, 'docker.sock');
  const dataRoot = join(dir, 'data');
  const args = [
    '--bridge=none', '--iptables=false', '--ip-masq=false', '--data-root', dataRoot, '--exec-root', join(dir, 'exec'),
    '-H', `unix://${socket}`, '--pidfile', join(dir, 'docker.pid'), '--log-level', 'warn',
    ...(options.insecureRegistries ?? []).flatMap((r) => ['--insecure-registry', r]),
  ];
  const [command, argv] = options.netns === undefined ? [DOCKERD, args] : ['nsenter', [`--net=/var/run/netns/${options.netns}`, DOCKERD, ...args]];
  const child: ChildProcess = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const docker = new Docker({ socketPath: socket, version: DOCKER_API_VERSION });
  const stop = async (): Promise<void> => {
    if (!gone) {
      const containers = await docker.listContainers({ all: true }).catch(() => []);
      await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
    unmountUnder(dir);
    await temp.cleanup();
  };
  try {
    await until('dockerd to answer /_ping', async () => {
      if (gone) throw new Error(`dockerd exited: ${output.slice(-2000)}`);
      return (await docker.ping()).toString() === 'OK';
    }, 60_000, 100);
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return { socket, dockerHost: `unix://${socket}`, docker, dataRoot, log: () => output, stop };
}

/** An engine killed hard may leave overlay and shm mounts under its folders; the folder cannot be removed until they go. */
function unmountUnder(dir: string): void {
  const mounts = existsSync('/proc/mounts') ? execFileSync('cat', ['/proc/mounts'], { encoding: 'utf8' }) : '';
  const points = mounts.split('\n').map((line) => line.split(' ')[1] ?? '').filter((p) => p.startsWith(`${dir}/`));
  for (const point of points.sort((a, b) => b.length - a.length)) {
    try {
      execFileSync('umount', ['-l', point]);
    } catch {
      // Gone meanwhile: nothing to do.
    }
  }
}

/** Imports the base image into the engine once (by name), with PATH and a WORKDIR; returns its local name. */
export async function baseImage(d: TestDockerd): Promise<string> {
  const known = await d.docker.getImage(BASE_IMAGE).inspect().then(() => true, () => false);
  if (known) return BASE_IMAGE;
  const temp = new TempDirs();
  try {
    const root = await temp.make('gantry-rootfs-', { sweep: false });
    await baseRootfs(root);
    const tar = createTar({ cwd: root, portable: true }, ['.']);
    const [repo, tag] = BASE_IMAGE.split(':') as [string, string];
    // @types/dockerode types the promise form of these two calls as void; the engine answers a progress stream.
    const stream = (await d.docker.importImage(tar as unknown as NodeJS.ReadableStream, { repo, tag, changes: ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'WORKDIR /app'] } as never)) as unknown as NodeJS.ReadableStream;
    await followProgress(d.docker, stream);
  } finally {
    await temp.cleanup();
  }
  return BASE_IMAGE;
}

/**
 * Pushes the base image through the engine to a registry (`host:port`, plain HTTP: loopback, or one
 * the engine was told is insecure) and returns its digest reference and its tag reference.
 */
export async function pushBaseImage(d: TestDockerd, registryHost: string, auth: { readonly username: string; readonly password: string } | undefined = undefined, repositoryName = 'gantry-test/node-base'): Promise<{ readonly ref: string; readonly tagRef: string; readonly digest: string }> {
  await baseImage(d);
  const repository = `${registryHost}/${repositoryName}`;
  await d.docker.getImage(BASE_IMAGE).tag({ repo: repository, tag: '1' });
  const stream = (await d.docker.getImage(`${repository}:1`).push({ authconfig: auth ? { ...auth, serveraddress: registryHost } : {} } as never)) as unknown as NodeJS.ReadableStream;
  const events = await followProgress(d.docker, stream);
  const digest = events.map((e) => (e as { aux?: { Digest?: string } }).aux?.Digest).find((x) => x !== undefined);
  if (digest === undefined) throw new Error(`the push of ${repository}:1 reported no digest: ${JSON.stringify(events.slice(-3))}`);
  return { ref: `${repository}@${digest}`, tagRef: `${repository}:1`, digest };
}
