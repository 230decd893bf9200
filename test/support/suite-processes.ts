import { readdir, readFile, readlink } from 'node:fs/promises';

/**
 * The suite's own folder (made by test/support/sweep-global-setup.ts): every temporary folder of
 * the run lives in it, since TMPDIR names it for every test worker and everything they start.
 */
export const SUITE_ROOT_ENV = 'GANTRY_TEST_SUITE_ROOT';
/** The vitest process that made the root, whose workers (its children) are still alive at the check. */
export const SUITE_PID_FILE = 'vitest.pid';

export const suiteRoot = (): string | undefined => process.env[SUITE_ROOT_ENV] || undefined;

export interface SuiteProcess {
  readonly pid: number;
  readonly command: string;
  readonly cwd: string;
  /** What ties it to the suite: its working folder, its command line, or its inherited environment. */
  readonly why: 'cwd' | 'command line' | 'environment';
}

async function text(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

/** State, parent pid from /proc/<pid>/stat (the command name may hold spaces and parentheses). */
async function stat(pid: number): Promise<{ state: string; ppid: number } | undefined> {
  const raw = await text(`/proc/${pid}/stat`);
  if (raw === '') return undefined;
  const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', ppid: Number(fields[1]) };
}

/**
 * Live processes a test started (any depth, also ones that left their group or were reparented):
 * whose working folder or command line is under the suite's root, or whose environment names it.
 * Not the vitest process, its workers (its children) or this process; zombies hold nothing and are skipped.
 */
export async function suiteProcesses(root: string, vitestPid: number): Promise<SuiteProcess[]> {
  const found: SuiteProcess[] = [];
  const names = await readdir('/proc').catch(() => [] as string[]);
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid || pid === vitestPid) continue;
    const s = await stat(pid);
    if (s === undefined || s.state === 'Z' || s.state === 'X' || s.ppid === vitestPid) continue;
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    const command = (await text(`/proc/${pid}/cmdline`)).split('\0').join(' ').trim();
    const environ = (await text(`/proc/${pid}/environ`)).split('\0');
    const inRoot = (path: string): boolean => path === root || path.startsWith(`${root}/`);
    const why = inRoot(cwd) ? 'cwd' : command.includes(root) ? 'command line' : environ.includes(`${SUITE_ROOT_ENV}=${root}`) || environ.includes(`TMPDIR=${root}`) ? 'environment' : undefined;
    if (why !== undefined) found.push({ pid, command, cwd, why });
  }
  return found;
}
