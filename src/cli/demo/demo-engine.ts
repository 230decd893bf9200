import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { dockerClient } from '../../agent/containers/index.js';
import { DemoRefusal } from './demo-refusal.js';
import { waitUntil } from './wait-until.js';

/** Debian's docker.io puts the engine here. */
export const DOCKERD = '/usr/sbin/dockerd';
const DEFAULT_SOCKET = 'unix:///var/run/docker.sock';

/** A Docker engine the demo uses: one that was already running, or a private one it started (and stops). */
export interface DemoEngine {
  /** `unix://…` or `tcp://…`: what gantry.yaml's docker target and the agent get. */
  readonly dockerHost: string;
  readonly docker: Docker;
  /** Where the private engine writes its log; null for an engine the demo did not start. */
  readonly logFile: string | null;
  /** Stops a private engine (its containers die with it); leaves an existing engine running. */
  stop(): Promise<void>;
}

async function answers(dockerHost: string): Promise<Docker | undefined> {
  try {
    const docker = dockerClient(dockerHost);
    const pong = await Promise.race([docker.ping(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3_000))]);
    return String(pong) === 'OK' ? docker : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The engine a user already has (DOCKER_HOST, else Docker's default socket) when it answers /_ping,
 * checked before anything is created. Undefined when neither answers; `why` then says what was tried.
 */
export async function existingEngine(): Promise<{ engine?: DemoEngine; tried: string[] }> {
  const tried: string[] = [];
  const fromEnv = process.env.DOCKER_HOST;
  for (const [label, host] of [...(fromEnv ? [[`DOCKER_HOST (${fromEnv})`, fromEnv]] : [['DOCKER_HOST', undefined]]), ['/var/run/docker.sock', DEFAULT_SOCKET]] as Array<[string, string | undefined]>) {
    if (host === undefined) {
      tried.push(`${label} is unset`);
      continue;
    }
    const docker = await answers(host);
    if (docker) return { engine: { dockerHost: host, docker, logFile: null, stop: () => Promise.resolve() }, tried };
    tried.push(`${label} does not answer`);
  }
  return { tried };
}

/** Whether the demo may start its own engine here, or why not (as words for the refusal). */
export function privateEngineBlocker(): string | undefined {
  if (process.getuid?.() !== 0) return 'dockerd can only be started as root';
  if (!existsSync(DOCKERD)) return `${DOCKERD} is missing`;
  return undefined;
}

/**
 * A private engine in the demo's scratch folder: no bridge and no iptables (it must not touch the
 * machine's network), its own data root, exec root and socket. Detached, so Ctrl-C in the terminal
 * does not stop it before the demo has removed its containers.
 */
export async function startPrivateEngine(dir: string): Promise<DemoEngine> {
  await mkdir(dir, { recursive: true });
  const socket = join(dir, 'docker.sock');
  const logFile = join(dir, 'dockerd.log');
  const fd = openSync(logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(DOCKERD, ['--bridge=none', '--iptables=false', '--ip-masq=false', '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '-H', `unix://${socket}`, '--pidfile', join(dir, 'docker.pid'), '--log-level', 'warn'], {
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  let gone = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => (gone = true));
  const dockerHost = `unix://${socket}`;
  const docker = dockerClient(dockerHost);
  const stop = async (): Promise<void> => {
    if (gone) return unmountUnder(dir);
    const containers = await docker.listContainers({ all: true }).catch(() => []);
    await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
    await unmountUnder(dir);
  };
  try {
    await waitUntil(`the private dockerd to answer (its log: ${logFile})`, async () => {
      if (gone) throw new DemoRefusal(`dockerd exited at once; its log: ${logFile}`, 'Check that the kernel has overlayfs and cgroups, or point DOCKER_HOST at a running engine.');
      return (await answers(dockerHost)) ? true : undefined;
    }, 60_000);
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return { dockerHost, docker, logFile, stop };
}

/**
 * dockerd leaves its default network namespace bind-mounted under its exec root (and, killed hard,
 * overlay and shm mounts): the folder cannot be removed while they stay.
 */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  const points = mounts.split('\n').map((line) => line.split(' ')[1] ?? '').filter((p) => p.startsWith(`${dir}/`));
  for (const point of points.sort((a, b) => b.length - a.length)) await promisify(execFile)('umount', ['-l', point]).catch(() => undefined);
}
