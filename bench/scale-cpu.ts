/**
 * Where bench/scale.ts's CPU went, read from /proc (Linux): the whole machine's busy time, each
 * server's and its ended commands', and the PostgreSQL backends' serving one database (each
 * backend's command line names its database). Read before and after a phase; the difference is what the phase cost. A backend that
 * exits during the phase takes its time with it: the pools keep theirs open while there is work.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc's times: 100 on every Linux this runs on (USER_HZ). */
const TICK_MS = 10;

/** CPU ms the machine spent not idle, summed over its cores (the first line of /proc/stat). */
export async function machineBusyMs(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const [, ...fields] = line.trim().split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) * TICK_MS;
}

/**
 * user + system ms of one process from /proc/<pid>/stat (fields 14 and 15), and of its children it
 * has waited for (16 and 17: for a server, the step commands that have ended).
 */
export async function processCpuMs(pid: number | string): Promise<{ own: number; children: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  const field = (n: number): number => (rest[n - 3] ?? Number.NaN) * TICK_MS;
  return { own: field(14) + field(15), children: field(16) + field(17) };
}

/** CPU ms of every live PostgreSQL backend whose command line names `database` ("postgres: user db …"). */
export async function backendsCpuMs(database: string): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.startsWith('postgres:') && cmdline.split(' ').includes(database)) times.set(pid, (await processCpuMs(pid)).own);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return times;
}

/** What the backends spent between two readings; a backend born in between counts from zero. */
export function backendsDelta(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}
