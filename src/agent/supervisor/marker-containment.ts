import { readFile } from 'node:fs/promises';
import type { Containment } from './containment.js';
import { allPids, isLive, killUntilGone, signalEach } from './proc-scan.js';

/** Inherited by every descendant that keeps its environment; a new session or process group does not shed it. */
export const MARKER_VARIABLE = 'GANTRY_PROCESS_MARKER';

/**
 * The fallback without cgroups: the process starts with a marker in its environment, and its
 * descendants are the processes whose /proc/<pid>/environ carries it. It misses only a descendant
 * that drops its whole environment (`env -i`), which a cgroup would catch.
 */
export class MarkerContainment implements Containment {
  readonly kind = 'marker';
  private readonly needle: string;

  constructor(private readonly marker: string) {
    this.needle = `${MARKER_VARIABLE}=${marker}`;
  }

  wrap(command: string): { file: string; args: string[]; env: Record<string, string> } {
    return { file: '/bin/sh', args: ['-c', command], env: { [MARKER_VARIABLE]: this.marker } };
  }

  async members(): Promise<number[]> {
    const found: number[] = [];
    for (const pid of await allPids()) {
      if (pid === process.pid) continue;
      const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
      if (environ.split('\0').includes(this.needle) && (await isLive(pid))) found.push(pid);
    }
    return found;
  }

  async signal(signal: NodeJS.Signals): Promise<void> {
    signalEach(await this.members(), signal);
  }

  kill(timeoutMs: number): Promise<boolean> {
    return killUntilGone(() => this.members(), async (left) => signalEach(left, 'SIGKILL'), timeoutMs);
  }

  release(): Promise<void> {
    return Promise.resolve();
  }
}
