import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultWorkDir } from '../../src/steps/workspace.js';
import { stopAgentProcesses } from '../../src/targets/local/stop-agents.js';
import { until } from '../support/temp.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

interface Summary {
  ok: boolean;
  environments: Record<string, Record<string, { release: string | null; revision: number | null; servedRelease: string | null }>>;
  rollbacks: number;
  failedRequestsDuringSwitch: number;
  requestsDuringSwitch: number;
  notifications: { slack: number; critical: number; incidents: number };
  dora: Record<string, Record<string, number | string | null>>;
  problems: string[];
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm run demo -- --keep', () => {
  // What --keep leaves running; stopped here, as its closing message tells a user to.
  let kept: { pid: number; root: string } | undefined;
  afterAll(async () => {
    if (!kept) return;
    const { pid, root } = kept;
    if (alive(pid)) process.kill(pid, 'SIGTERM');
    await until('the kept server to stop', () => !alive(pid), 30_000);
    await stopAgentProcesses(join(root, 'data', 'agents'));
    await rm(root, { recursive: true, force: true });
    await rm(defaultWorkDir(join(root, 'data')), { recursive: true, force: true });
  }, 60_000);

  it('runs the reference pipeline end to end (CI, dev, staging, two approvals, blue-green, a bad release that rolls back) and leaves a server that outlives the demo', async () => {
    const demo = spawn(process.execPath, [CLI, 'demo', '--keep', '--output', 'json'], { env: { ...process.env, NO_COLOR: '1', CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    demo.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    demo.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    // --keep stays up (for the Slack and PagerDuty stand-ins) once it has said how to stop the server.
    const ended = await until('the demo to finish and keep its server', () => {
      const stop = /Stop the rest with: kill (\d+)/.exec(stderr);
      const log = /Server log: (\S+)/.exec(stderr);
      if (stop?.[1] && log?.[1]) return { pid: Number(stop[1]), logFile: log[1] };
      // until() retries a probe that throws, so an exit is returned and reported below, at once.
      if (demo.exitCode !== null || demo.signalCode !== null) return { exit: demo.exitCode ?? demo.signalCode };
      return undefined;
    }, 600_000, 200);
    if ('exit' in ended) throw new Error(`the demo exited with ${String(ended.exit)} before keeping its server: ${stderr.slice(-3000)}`);
    kept = { pid: ended.pid, root: dirname(ended.logFile) };
    const summary = JSON.parse(stdout) as Summary;
    expect(summary.problems).toEqual([]);
    expect(summary.ok).toBe(true);
    expect(Object.keys(summary.environments).sort()).toEqual(['dev', 'production', 'staging']);
    const services = ['billing', 'nest-api', 'temporal-workers', 'web-admin', 'web-rider'];
    for (const env of ['dev', 'staging', 'production']) expect(Object.keys(summary.environments[env] ?? {}).sort()).toEqual(services);
    // Every environment serves, through its routers, the release Gantry recorded as live.
    for (const env of Object.values(summary.environments)) for (const s of Object.values(env)) expect(s.servedRelease).toBe(s.release);
    // The bad release reached dev and staging but production kept the good one.
    const prod = summary.environments.production?.['nest-api'];
    const staging = summary.environments.staging?.['nest-api'];
    expect(prod?.release).not.toBe(staging?.release);
    expect(summary.rollbacks).toBeGreaterThanOrEqual(1);
    expect(summary.requestsDuringSwitch).toBeGreaterThan(100);
    expect(summary.failedRequestsDuringSwitch).toBe(0);
    // The production rollback reached people: a critical Slack message and a PagerDuty incident.
    expect(summary.notifications.critical).toBeGreaterThanOrEqual(1);
    expect(summary.notifications.incidents).toBeGreaterThanOrEqual(1);
    // DORA over what the demo did: one good production deployment, one that failed and was rolled back.
    expect(Object.keys(summary.dora).sort()).toEqual(['changeFailureRate', 'deploymentFrequency', 'failedDeploymentRecoveryTime', 'leadTimeForChanges']);
    expect(summary.dora.deploymentFrequency?.perDay).toBeGreaterThan(0);
    expect(summary.dora.leadTimeForChanges?.medianMs).toBeGreaterThan(0);
    expect(summary.dora.changeFailureRate?.rate).toBeGreaterThan(0);
    // The live progress went to stderr, stage by stage.
    expect(stderr).toMatch(/feature\/quote-cache/);
    expect(stderr).toMatch(/alice approved run #\d+/);
    expect(stderr).toMatch(/automatic rollback done; production still serves the previous release/);
    // The workers get no made-up traffic: staging's and production's watches judge them by their health.
    expect(stderr).toMatch(/no traffic to temporal-workers: users never call them; the watch judges them by their health/);

    // Ctrl-C ends the demo (and with it every pipe it had); the kept server does not depend on them.
    demo.kill('SIGINT');
    await exited;
    const dataDir = join(kept.root, 'data');
    const { url } = JSON.parse(await readFile(join(dataDir, 'server.json'), 'utf8')) as { url: string };
    const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    // Make the server write to its output now: a poll of a vanished origin is logged as a warning.
    // Before, its stdout and stderr were pipes to the demo, and such a write ended it (EPIPE).
    const origin = join(kept.root, 'origin.git');
    await rename(origin, `${origin}.moved`);
    const notified = await fetch(`${url}/api/v1/sources/notify`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(notified.status).toBe(202);
    const log = await until('the kept server to log the failed poll to its file', async () => {
      const text = existsSync(ended.logFile) ? await readFile(ended.logFile, 'utf8') : '';
      return /polling the repository failed/.test(text) ? text : undefined;
    }, 30_000);
    await rename(`${origin}.moved`, origin);
    expect(alive(ended.pid)).toBe(true);
    expect((await fetch(`${url}/healthz`)).ok).toBe(true);
    // Hundreds of waits on step signals during the demo: not one abort listener was left behind.
    expect(log).not.toMatch(/MaxListenersExceededWarning/);
  }, 660_000);
});
