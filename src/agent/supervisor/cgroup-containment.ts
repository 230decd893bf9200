import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Containment } from './containment.js';
import { errorCode, isLive, killUntilGone, signalEach } from './proc-scan.js';

const POLL_MS = 25;

/** The agent's own cgroup folder under it: where every revision process gets a cgroup of its own. */
export interface CgroupBase {
  readonly path: string;
  /** cgroup.kill (Linux 5.14+) kills every member at once, forks in flight included. */
  readonly hasKill: boolean;
}

/** The folder of this process's cgroup v2 (its `0::` line, under the cgroup2 mount), or null. */
async function ownCgroupDir(): Promise<string | null> {
  const own = (await readFile('/proc/self/cgroup', 'utf8').catch(() => '')).split('\n').find((line) => line.startsWith('0::'))?.slice(3);
  if (own === undefined) return null;
  for (const line of (await readFile('/proc/self/mountinfo', 'utf8').catch(() => '')).split('\n')) {
    const [mountFields = '', fsFields = ''] = line.split(' - ');
    if (!fsFields.startsWith('cgroup2 ')) continue;
    const [, , , root = '/', mountPoint = ''] = mountFields.split(' ');
    if (root === '/') return join(mountPoint, own);
    if (own === root || own.startsWith(`${root}/`)) return join(mountPoint, own.slice(root.length));
  }
  return null;
}

/**
 * The base folder for `scope`, when cgroups work here: made if missing, and proven by moving a
 * real short-lived process into a test cgroup (a folder may be writable while moving processes,
 * which needs the common ancestor's cgroup.procs, is not). Null otherwise.
 */
export async function cgroupBase(scope: string): Promise<CgroupBase | null> {
  const own = await ownCgroupDir();
  if (own === null) return null;
  const path = join(own, `gantry-${scope}`);
  const probe = join(path, `probe-${process.pid}`);
  try {
    await mkdir(probe, { recursive: true });
    const moved = spawnSync('/bin/sh', ['-c', 'echo $$ > "$0"', join(probe, 'cgroup.procs')], { stdio: 'ignore', timeout: 5_000 });
    if (moved.status !== 0) return null;
    return { path, hasKill: existsSync(join(probe, 'cgroup.kill')) };
  } catch {
    return null;
  } finally {
    await rmdir(probe).catch(() => undefined);
    await removeEmpty(path);
  }
}

/** Removes the base and the cgroups under it that hold no process (left by an agent killed with -9); the base is made again when needed. */
async function removeEmpty(path: string): Promise<void> {
  for (const entry of await readdir(path, { withFileTypes: true }).catch(() => [])) if (entry.isDirectory()) await rmdir(join(path, entry.name)).catch(() => undefined);
  await rmdir(path).catch(() => undefined);
}

/** One supervised process's cgroup: the wrapper moves the shell into it before it runs the command. */
export class CgroupContainment implements Containment {
  readonly kind = 'cgroup';
  private readonly dir: string;

  constructor(
    private readonly base: CgroupBase,
    name: string,
  ) {
    this.dir = join(base.path, name);
  }

  wrap(command: string): { file: string; args: string[]; env: Record<string, string> } {
    mkdirSync(this.dir, { recursive: true });
    // $$ stays the same pid across exec, so the command and all it starts are born inside; 125 when the move fails.
    return { file: '/bin/sh', args: ['-c', 'echo $$ > "$0" || exit 125; exec /bin/sh -c "$1"', join(this.dir, 'cgroup.procs'), command], env: {} };
  }

  async members(): Promise<number[]> {
    const text = await readFile(join(this.dir, 'cgroup.procs'), 'utf8').catch(() => '');
    const pids = text.split('\n').filter(Boolean).map(Number);
    const live = await Promise.all(pids.map((pid) => isLive(pid)));
    return pids.filter((_, i) => live[i]);
  }

  async signal(signal: NodeJS.Signals): Promise<void> {
    signalEach(await this.members(), signal);
  }

  kill(timeoutMs: number): Promise<boolean> {
    const killOnce = async (left: number[]): Promise<void> => {
      if (this.base.hasKill) await writeFile(join(this.dir, 'cgroup.kill'), '1').catch(() => signalEach(left, 'SIGKILL'));
      else signalEach(left, 'SIGKILL');
    };
    return killUntilGone(() => this.members(), killOnce, timeoutMs);
  }

  async release(): Promise<void> {
    // A killed member stays in the cgroup until its parent reaps it: EBUSY for a moment.
    for (let attempt = 0; attempt < 20; attempt++) {
      const code = await rmdir(this.dir).then(() => undefined, (error: unknown) => errorCode(error));
      if (code !== 'EBUSY') break;
      await delay(POLL_MS);
    }
    // Fails while another process's cgroup remains in it: fine.
    await rmdir(this.base.path).catch(() => undefined);
  }
}
