import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

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

describe('npm run demo', () => {
  it('runs the reference pipeline end to end: CI, dev, staging, two approvals, blue-green, and a bad release that rolls back', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, 'demo', '--output', 'json'], { env: { ...process.env, NO_COLOR: '1', CI: 'true' }, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 }, (error, out, err) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: out, stderr: err });
      });
    });
    expect(code, stderr.slice(-3000)).toBe(0);
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
  }, 600_000);
});
