import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { normalizeConfig } from '../../src/config/normalize.js';
import { GantryConfigSpec } from '../../src/config/schema.js';
import type { GantryConfig, ServiceConfig, SmokeConfig } from '../../src/config/types.js';
import { parseCoverage } from '../../src/steps/reports/coverage.js';
import { parseJunit } from '../../src/steps/reports/junit.js';
import { groupAlive } from '../../src/agent/supervisor/process-group.js';
import { until } from '../support/temp.js';

/**
 * The reference example must actually work: every gate command in its gantry.yaml passes when run
 * from the service folder, writes the reports it declares, and every built artifact serves its
 * health check and smoke tests. Everything runs in a temporary copy, never in the source tree.
 */

const EXAMPLE = fileURLToPath(new URL('../../examples/volteryde/', import.meta.url));
const GENERATED = new Set(['coverage', 'reports', 'dist', 'target', 'node_modules']);

function loadExampleConfig(text: string): GantryConfig {
  const parsed = GantryConfigSpec.safeParse(parse(text));
  if (!parsed.success) throw new Error(`examples/volteryde/gantry.yaml is not valid:\n${JSON.stringify(parsed.error.issues, null, 2)}`);
  return normalizeConfig(parsed.data);
}

interface Outcome {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a shell command the way a gate does: /bin/sh, a given folder, a small clean environment. */
function sh(command: string, cwd: string, env: Readonly<Record<string, string>> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, { cwd, shell: '/bin/sh', env: { PATH: process.env['PATH'] ?? '', HOME: tmpdir(), ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Starts a built artifact on a free port (PORT=0) and resolves with its base URL, read from its "listening" log line. */
function startRevision(service: ServiceConfig, dir: string, env: Readonly<Record<string, string>>): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    // Its own process group: the shell's child (node server.mjs) is stopped with it (stopRevision).
    const child = spawn(service.run?.command ?? 'false', { cwd: dir, shell: '/bin/sh', detached: true, env: { PATH: process.env['PATH'] ?? '', ...env, PORT: '0' } });
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /"msg":"listening","port":(\d+)/.exec(buffered);
      if (match) resolve({ child, url: `http://127.0.0.1:${match[1]}` });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${service.name} exited with ${code} before listening: ${buffered}`)));
  });
}

/**
 * SIGTERM to the revision's whole process group, SIGKILL when it has not gone within 5 s. Killing
 * only the shell left five `node server.mjs` running after the suite (issue 10, item 13).
 */
async function stopRevision(child: ChildProcess): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return;
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-pgid, name);
    } catch {
      // The group is gone already.
    }
  };
  signal('SIGTERM');
  const gone = await until(`revision process group ${pgid} to exit`, async () => !(await groupAlive(pgid)), 5_000).catch(() => false);
  if (!gone) signal('SIGKILL');
  await until(`revision process group ${pgid} to be killed`, async () => !(await groupAlive(pgid)), 5_000);
}

async function runSmoke(url: string, smoke: SmokeConfig): Promise<void> {
  const res = await fetch(`${url}${smoke.path}`, { method: smoke.method, ...(smoke.body === undefined ? {} : { body: smoke.body }) });
  const text = await res.text();
  expect(res.status, `${smoke.name}: status`).toBe(smoke.expectStatus);
  if (smoke.expectBody !== undefined) expect(text, `${smoke.name}: body`).toContain(smoke.expectBody);
  if (smoke.expectJson !== undefined) expect((JSON.parse(text) as Record<string, unknown>)[smoke.expectJson.field], `${smoke.name}: json`).toEqual(smoke.expectJson.equals);
}

describe('the volteryde example', () => {
  let root = '';
  let config: GantryConfig;
  const gateRuns = new Map<string, { gate: string; outcome: Outcome }[]>();
  const revisions: ChildProcess[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'gantry-volteryde-'));
    await cp(EXAMPLE, root, { recursive: true, filter: (source) => !GENERATED.has(basename(source)) });
    config = loadExampleConfig(await readFile(join(root, 'gantry.yaml'), 'utf8'));
    // Services in parallel, each service's gates in order, as Gantry runs them.
    await Promise.all(
      Object.values(config.services).map(async (service) => {
        const runs: { gate: string; outcome: Outcome }[] = [];
        for (const gate of service.gates) runs.push({ gate: gate.name, outcome: await sh(gate.run, join(root, service.path), gate.env) });
        gateRuns.set(service.name, runs);
      }),
    );
  });

  afterAll(async () => {
    await Promise.all(revisions.map((child) => stopRevision(child)));
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('has a gantry.yaml that the schema accepts, with five services and three environments', () => {
    expect(Object.keys(config.services)).toEqual(['nest-api', 'billing', 'temporal-workers', 'web-admin', 'web-rider']);
    expect(Object.keys(config.environments)).toEqual(['dev', 'staging', 'production']);
    expect(config.environments['production']).toMatchObject({ branch: 'main', requires: 'staging', confirmation: 'DEPLOY TO PRODUCTION', tag: true });
  });

  it('never gives two listeners the same port, blue-green previews and agents included', () => {
    const owners = new Map<number, string>();
    const claim = (port: number, owner: string): void => {
      expect(owners.get(port), `${owner} and ${owners.get(port)} share port ${port}`).toBeUndefined();
      owners.set(port, owner);
    };
    for (const env of Object.values(config.environments)) {
      for (const name of env.services) {
        const port = config.services[name]?.run?.port;
        if (port === undefined) continue;
        claim(port + env.portOffset, `${env.name}/${name}`);
        if (env.strategy.kind === 'blue-green') claim(port + env.portOffset + env.strategy.previewPortOffset, `${env.name}/${name} preview`);
      }
    }
    for (const target of Object.values(config.targets)) if (target.kind === 'local' && target.port !== undefined) claim(target.port, `target ${target.name}`);
    expect(Math.max(...owners.keys())).toBeLessThan(32768); // below Linux's ephemeral port range
  });

  it.each(['nest-api', 'billing', 'temporal-workers', 'web-admin', 'web-rider'])('passes every gate of %s from the service folder', (name) => {
    const runs = gateRuns.get(name) ?? [];
    expect(runs.map((r) => r.gate)).toEqual(['lint', 'test', 'build']);
    for (const { gate, outcome } of runs) expect(outcome.code, `${name}/${gate} failed:\n${outcome.output}`).toBe(0);
  });

  it.each(['nest-api', 'billing', 'temporal-workers', 'web-admin', 'web-rider'])('writes the JUnit and coverage reports %s declares, passing its minimum', async (name) => {
    const service = config.services[name];
    const test = service?.gates.find((g) => g.name === 'test');
    if (!service || !test?.junit || !test.coverage) throw new Error(`${name} has no test gate with junit and coverage`);
    const counts = parseJunit(await readFile(join(root, service.path, test.junit), 'utf8'));
    expect(counts.tests).toBeGreaterThan(0);
    expect(counts).toMatchObject({ failures: 0, errors: 0 });
    const coverage = parseCoverage(await readFile(join(root, service.path, test.coverage.file), 'utf8'), test.coverage.format);
    expect(coverage.linesTotal).toBeGreaterThan(0);
    expect(coverage.percent).toBeGreaterThanOrEqual(test.coverage.minimum);
    expect(existsSync(join(root, service.path, service.build?.output ?? 'missing', 'server.mjs'))).toBe(true);
  });

  it('serves health and smoke tests from every built artifact, and passes the integration tests across them', async () => {
    const urls: string[] = [];
    for (const service of Object.values(config.services)) {
      const dir = join(root, service.path, service.build?.output ?? 'missing');
      const { child, url } = await startRevision(service, dir, { ...service.env, GANTRY_RELEASE: 'r-test', GANTRY_REVISION: '1' });
      revisions.push(child);
      urls.push(url);
      const health = await fetch(`${url}${service.health.path}`);
      expect(health.status, `${service.name} health`).toBe(service.health.expectStatus);
      for (const smoke of service.smoke) await runSmoke(url, smoke);
    }
    const integration = await sh(`node tools/integration.mjs ${urls.join(' ')}`, root);
    expect(integration.code, integration.output).toBe(0);
    expect(integration.output).toContain('# 10 passed, 0 failed');
  });
});
