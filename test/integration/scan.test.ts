import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import type { GantryConfig } from '../../src/config/types.js';
import { planRun } from '../../src/engine/planner.js';
import { SCAN_STEP_KEY } from '../../src/engine/step-keys.js';
import type { ScanStepSpec } from '../../src/engine/step-specs/index.js';
import type { StepView } from '../../src/server/views.js';
import { countAtOrAbove, parseAuditJson, type VulnerabilityCounts } from '../../src/steps/scan/audit.js';
import { scanText } from '../../src/steps/scan/secrets.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

// Built from pieces so that this file does not itself hold a whole credential.
const AWS_KEY_ID = ['AKIA', 'Z4XQ7T3KPL2M9WQR'].join('');
const AWS_SECRET = ['Zq8Kx3vN7pL2mR9t', 'Y4wB6cF1hJ5dG0sA8eU3iO7k'].join('');
const PEM_BODY = [
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTK',
  'En5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo',
  '9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVR',
].join('\n');
const PRIVATE_KEY = `-----BEGIN RSA ${'PRIVATE'} KEY-----\n${PEM_BODY}\n-----END RSA ${'PRIVATE'} KEY-----\n`;

const CONFIG = `version: 1
project: { name: shop }
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: services/api
    gates:
      - { name: lint, run: "sh check.sh lint" }
      - { name: test, run: "sh check.sh test" }
  web:
    path: apps/web
    gates:
      - { name: lint, run: "sh check.sh lint" }
environments:
  dev: { branch: develop }
`;

const CHECK = 'echo "running $1 in $(basename "$PWD")"\n';

const FILES = {
  'gantry.yaml': CONFIG,
  'services/api/check.sh': CHECK,
  'services/api/index.js': 'export const a = 1;\n',
  'apps/web/check.sh': CHECK,
  'apps/web/index.js': 'export const w = 1;\n',
  'README.md': '# shop\n',
};

const scanOf = (steps: StepView[]) => steps.find((s) => s.key === SCAN_STEP_KEY);
const gates = (steps: StepView[]) => steps.filter((s) => s.kind === 'gate');

describe('the security scan on a real repository', () => {
  const temp = new TempDirs();
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await temp.cleanup();
  });

  it('fails the run at scan:security on a pushed AWS key and private key, naming file:line and rule, skips the gates, and never logs the secret', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, FILES);
    t = await startTestServer(root, repo, CONFIG);
    const creds = `# local settings\nAWS_ACCESS_KEY_ID=${AWS_KEY_ID}\nAWS_SECRET_ACCESS_KEY=${AWS_SECRET}\n`;
    await pushChange(repo, 'feature/leak', { 'services/api/settings.env': creds, 'services/api/deploy.pem': PRIVATE_KEY }, 'api: add settings');
    const run = await t.finished((await t.runFor('feature/leak')).id);

    expect(run.run.state).toBe('failed');
    expect(run.run.error?.code).toBe('SECRET_FOUND');
    expect(run.run.error?.message).toContain('services/api/settings.env:3 aws');
    expect(run.run.error?.message).toContain('services/api/deploy.pem:1 privatekey');
    const scan = scanOf(run.steps);
    expect(scan?.state).toBe('failed');
    expect(scan?.summary?.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: 'services/api/settings.env', line: 3, rule: 'aws' }),
        expect.objectContaining({ file: 'services/api/deploy.pem', line: 1, rule: 'privatekey' }),
      ]),
    );
    expect(gates(run.steps).map((s) => s.state)).toEqual(['skipped', 'skipped']);

    const { body } = await t.api<{ lines: { step: string; text: string }[] }>('GET', `/api/v1/runs/${run.run.id}/logs`);
    const text = body.lines.map((l) => l.text).join('\n');
    expect(text).toMatch(/services\/api\/settings\.env:3\s+aws/);
    for (const secret of [AWS_SECRET, PEM_BODY.slice(0, 40)]) {
      expect(text).not.toContain(secret);
      expect(JSON.stringify(run)).not.toContain(secret);
    }
    const sse = await t.server.app.inject({ method: 'GET', url: `/api/v1/runs/${run.run.id}/logs?follow=true`, headers: { authorization: `Bearer ${t.token}` } });
    expect(sse.body).toContain('event: end');
    expect(sse.body).not.toContain(AWS_SECRET);
    const db = await readFile(join(t.dataDir, 'gantry.db'));
    expect(db.includes(Buffer.from(AWS_SECRET))).toBe(false);
  });

  it('passes a clean change, then runs the gates after it; a service without package-lock.json is not audited', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, FILES);
    t = await startTestServer(root, repo, CONFIG);
    await pushChange(repo, 'feature/clean', { 'services/api/index.js': 'export const a = 2;\n' }, 'api: change');
    const run = await t.finished((await t.runFor('feature/clean')).id);

    expect(run.run.state).toBe('succeeded');
    expect(run.steps[0]?.key).toBe(SCAN_STEP_KEY);
    const scan = scanOf(run.steps);
    expect(scan?.state).toBe('succeeded');
    expect(scan?.summary).toEqual({ findings: [], audit: {} });
    const scanEnd = Date.parse(scan?.finishedAt ?? '');
    for (const gate of gates(run.steps)) {
      expect(gate.state).toBe('succeeded');
      expect(Date.parse(gate.startedAt ?? '')).toBeGreaterThanOrEqual(scanEnd);
    }
    const { body } = await t.api<{ lines: { text: string }[] }>('GET', `/api/v1/runs/${run.run.id}/logs?step=${SCAN_STEP_KEY}`);
    const text = body.lines.map((l) => l.text).join('\n');
    expect(text).toMatch(/secrets: scanned 1 of 1 changed file/);
    expect(text).toMatch(/audit api: skipped \(no package-lock\.json and no scan\.audit\.command\)/);
  });

  it('blocks on vulnerabilities at or above the configured severity reported by scan.audit.command', async () => {
    const root = await temp.make();
    const report = JSON.stringify({ metadata: { vulnerabilities: { critical: 0, high: 2, moderate: 1, low: 0 } } });
    const config = `${CONFIG}scan:\n  audit: { severity: high, command: "cat audit.json" }\n`;
    const repo = await fixtureRepo(root, { ...FILES, 'gantry.yaml': config, 'services/api/audit.json': report });
    t = await startTestServer(root, repo, config);
    await pushChange(repo, 'feature/deps', { 'services/api/index.js': 'export const a = 5;\n' }, 'api: deps');
    const run = await t.finished((await t.runFor('feature/deps')).id);

    expect(run.run.state).toBe('failed');
    expect(run.run.error?.code).toBe('VULNERABILITIES_FOUND');
    expect(run.run.error?.message).toMatch(/at or above high: api \(critical 0, high 2, moderate 1, low 0\)/);
    expect(scanOf(run.steps)?.summary?.audit).toEqual({ api: { critical: 0, high: 2, moderate: 1, low: 0 } });
    expect(gates(run.steps).every((s) => s.state === 'skipped')).toBe(true);
  });

  it('scans a commit that touches no service folder: a private key under deploy/ fails the run', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, FILES);
    t = await startTestServer(root, repo, CONFIG);
    await pushChange(repo, 'feature/ops', { 'deploy/notes.md': '# ops\n' }, 'ops: notes');
    const clean = await t.finished((await t.runFor('feature/ops')).id);
    expect(clean.run.state).toBe('succeeded');
    expect(clean.run.notes.join(' ')).toMatch(/services to check: none/);
    expect(clean.steps.map((s) => [s.key, s.state])).toEqual([[SCAN_STEP_KEY, 'succeeded']]);

    await pushChange(repo, 'feature/ops', { 'deploy/prod.pem': PRIVATE_KEY }, 'ops: add the deploy key');
    const run = await t.finished((await t.runFor('feature/ops', clean.run.id)).id);
    expect(run.run.state).toBe('failed');
    expect(run.run.error?.code).toBe('SECRET_FOUND');
    expect(run.run.error?.message).toContain('deploy/prod.pem:1 privatekey');
    const { body } = await t.api<{ lines: { text: string }[] }>('GET', `/api/v1/runs/${run.run.id}/logs?step=${SCAN_STEP_KEY}`);
    const text = body.lines.map((l) => l.text).join('\n');
    expect(text).toMatch(/secrets: scanned 1 of 1 changed file/);
    expect(text).not.toContain(PEM_BODY.slice(0, 40));
  });

  it('scans every tracked file of the repository on a dispatch, which has no base', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { ...FILES, 'apps/web/.env': `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}\n` });
    t = await startTestServer(root, repo, CONFIG);
    const { body } = await t.api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'dev' });
    const run = await t.finished(body.run.id);
    expect(run.run.error?.code).toBe('SECRET_FOUND');
    expect(run.run.error?.message).toContain('apps/web/.env:1 aws');
  });
});

describe('the dependency audit counts', () => {
  const fixture = (name: string) => readFile(new URL(`../fixtures/audit/${name}`, import.meta.url), 'utf8');

  it('reads npm audit --json counts and counts those at or above each severity', async () => {
    const result = parseAuditJson(await fixture('npm-audit-vulnerable.json'));
    const counts: VulnerabilityCounts = { critical: 1, high: 1, moderate: 2, low: 3 };
    expect(result).toEqual({ kind: 'counts', counts });
    expect(countAtOrAbove(counts, 'critical')).toBe(1);
    expect(countAtOrAbove(counts, 'high')).toBe(2);
    expect(countAtOrAbove(counts, 'moderate')).toBe(4);
    expect(countAtOrAbove(counts, 'low')).toBe(7);
  });

  it('calls an audit that could not reach the advisory database unavailable, never a pass', async () => {
    expect(parseAuditJson(await fixture('npm-audit-offline.json'))).toEqual({ kind: 'unavailable', reason: 'ENOTFOUND' });
    expect(parseAuditJson('')).toMatchObject({ kind: 'unavailable' });
    expect(parseAuditJson('npm ERR! network')).toMatchObject({ kind: 'unavailable' });
    expect(parseAuditJson('{"message":"405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk"}')).toEqual({
      kind: 'unavailable',
      reason: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    });
  });
});

describe('secret findings', () => {
  it('name the rule and line and mask the value', async () => {
    const findings = await scanText('x.env', `a=1\nAWS_SECRET_ACCESS_KEY=${AWS_SECRET}\n`);
    expect(findings).toEqual([{ file: 'x.env', line: 2, rule: 'aws', message: expect.stringContaining('***') as unknown as string }]);
    expect(JSON.stringify(findings)).not.toContain(AWS_SECRET);
  });
});

describe('planning the scan', () => {
  const config = (): GantryConfig => {
    const r = parseConfigText(CONFIG, 'gantry.yaml');
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
    return r.config;
  };

  it('passes the changed files, or null when there is no base, and the default scan settings', () => {
    const withBase = planRun({ config: config(), services: ['api'], serviceTrees: {}, environment: undefined, changeNote: 'n', changedFiles: ['services/api/index.js'] });
    expect(withBase.steps[0]?.spec as ScanStepSpec).toEqual({
      v: 1,
      files: ['services/api/index.js'],
      paths: [],
      services: [{ name: 'api', path: 'services/api' }],
      scan: { secrets: true, audit: { severity: 'critical', command: undefined } },
    });
    const noBase = planRun({ config: config(), services: ['api'], serviceTrees: {}, environment: undefined, changeNote: 'n' });
    expect((noBase.steps[0]?.spec as ScanStepSpec).files).toBeNull();
  });
});
