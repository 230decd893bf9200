import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUITE_PID_FILE, suiteProcesses, suiteRoot, type SuiteProcess } from '../support/suite-processes.js';
import { until } from '../support/temp.js';

/**
 * The process sweep (issue 10, item 13): once every other test file has finished (the `sweep`
 * project runs last, vitest.config.ts), no process a test started is still alive: no server, agent,
 * revision, gate or service, and none of their descendants. A test that leaves one fails the suite
 * here, with what each one is and why it counts; the sweep then kills them, so they do not outlive
 * the run either way.
 */
describe('the process sweep', () => {
  const root = suiteRoot();

  it('finds no process started by a test still running once every test file has finished', async (context) => {
    if (!root) return context.skip('no suite root: vitest.config.ts makes one for the whole run');
    const vitestPid = Number(await readFile(join(root, SUITE_PID_FILE), 'utf8'));
    // A process told to stop by a test's last hook may still be on its way out: give it a moment, by condition.
    let left: SuiteProcess[] = [];
    await until('processes started by tests to exit', async () => {
      left = await suiteProcesses(root, vitestPid);
      return left.length === 0 ? true : undefined;
    }, 5_000, 100).catch(() => undefined);
    for (const proc of left) {
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    expect(left.map((p) => `pid ${p.pid} (${p.why}): ${p.command} in ${p.cwd}`), 'processes that outlived the test that started them').toEqual([]);
  });

  it('recognises what a test leaves: a process in a suite folder, and one with only the inherited environment', async (context) => {
    if (!root) return context.skip('no suite root: vitest.config.ts makes one for the whole run');
    const vitestPid = Number(await readFile(join(root, SUITE_PID_FILE), 'utf8'));
    const folder = await mkdtemp(join(tmpdir(), 'gantry-canary-'));
    // Both leave this process's group and session, as a leaked revision or its grandchild would.
    // (setsid forks when it leads a group, so its own pid is not the sleeper's.)
    spawn('setsid', ['sleep', '60'], { cwd: folder, detached: true, stdio: 'ignore' }).unref();
    spawn('setsid', ['sleep', '60'], { cwd: '/', detached: true, stdio: 'ignore', env: { ...process.env } }).unref();
    const canaries = async (): Promise<number[]> => (await suiteProcesses(root, vitestPid)).filter((p) => p.command === 'sleep 60').map((p) => p.pid);
    try {
      const found = await until('both canaries to be found', async () => {
        const all = await suiteProcesses(root, vitestPid);
        const a = all.find((p) => p.why === 'cwd' && p.cwd === folder && p.command === 'sleep 60');
        const b = all.find((p) => p.why === 'environment' && p.cwd === '/' && p.command === 'sleep 60');
        return a && b ? [a, b] : undefined;
      }, 5_000);
      expect(found).toHaveLength(2);
    } finally {
      for (const pid of await canaries()) process.kill(pid, 'SIGKILL');
      await rm(folder, { recursive: true, force: true });
    }
    await until('the canaries to be gone', async () => ((await canaries()).length === 0 ? true : undefined), 5_000);
  });
});
