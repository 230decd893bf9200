import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EnvSecretSource } from '../../src/secrets/source.js';
import type { StepView } from '../../src/server/views.js';
import { defaultWorkDir } from '../../src/steps/workspace.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { registerSecret } from '../support/sweep.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const CONFIG = `version: 1
project: { name: shop }
repository:
  url: .
  defaultBranch: develop
  sharedPaths: [libs]
services:
  api:
    path: services/api
    secrets: [API_KEY]
    gates:
      - { name: lint, run: "sh check.sh lint" }
      - { name: test, run: "sh check.sh test", junit: junit.xml }
  web:
    path: apps/web
    gates:
      - { name: lint, run: "sh check.sh lint" }
environments:
  dev: { branch: develop }
`;

const CHECK = `echo "running $1 in $(basename "$PWD")"
if [ -f fail ]; then echo "something broke: $(cat fail)"; exit 3; fi
if [ "$1" = test ]; then printf '<testsuite name="s" tests="2" failures="0"><testcase name="a"/><testcase name="b"/></testsuite>' > junit.xml; fi
`;

const FILES = {
  'gantry.yaml': CONFIG,
  'services/api/check.sh': CHECK,
  'services/api/index.js': 'export const a = 1;\n',
  'apps/web/check.sh': CHECK,
  'apps/web/index.js': 'export const w = 1;\n',
  'libs/util.js': 'export const u = 1;\n',
  'README.md': '# shop\n',
};

const gates = (steps: StepView[]) => steps.filter((s) => s.kind === 'gate');

describe('CI gates on a real repository', () => {
  const temp = new TempDirs();
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await temp.cleanup();
  });

  it('runs only the changed service’s gates, in order, then reuses their passes from the cache on merge', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, FILES);
    t = await startTestServer(root, repo, CONFIG);
    await pushChange(repo, 'feature/api-change', { 'services/api/index.js': 'export const a = 2;\n' }, 'api: change');
    const first = await t.finished((await t.runFor('feature/api-change')).id);
    expect(first.run.state).toBe('succeeded');
    expect(gates(first.steps).map((s) => s.key)).toEqual(['gate:api:lint', 'gate:api:test']);
    expect(gates(first.steps).every((s) => !s.cached)).toBe(true);
    const [lint, test] = gates(first.steps);
    expect(test?.summary?.tests).toMatchObject({ tests: 2, failures: 0 });
    const lintEnd = Date.parse(lint?.finishedAt ?? '');
    expect(Date.parse(test?.startedAt ?? '')).toBeGreaterThanOrEqual(lintEnd);

    await repo.git('checkout', '--quiet', 'develop');
    await repo.git('merge', '--quiet', '--no-ff', '-m', 'merge', 'feature/api-change');
    await repo.push('develop');
    const second = await t.finished((await t.runFor('develop')).id);
    expect(second.run.state).toBe('succeeded');
    expect(gates(second.steps).map((s) => [s.key, s.cached])).toEqual([
      ['gate:api:lint', true],
      ['gate:api:test', true],
    ]);
    expect(second.run.environment).toBe('dev');
    expect(second.run.notes.join(' ')).toMatch(/dev deploys nothing/);
    const { body } = await t.api<{ lines: { text: string }[] }>('GET', `/api/v1/runs/${second.run.id}/logs?step=gate:api:test`);
    expect(body.lines.map((l) => l.text).join('\n')).toMatch(/cached: this gate passed for identical content in run #1/);
  });

  it('checks every service when a shared path changes', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, FILES);
    t = await startTestServer(root, repo, CONFIG);
    await pushChange(repo, 'feature/shared', { 'libs/util.js': 'export const u = 2;\n' }, 'shared change');
    const run = await t.finished((await t.runFor('feature/shared')).id);
    expect(new Set(gates(run.steps).map((s) => s.service))).toEqual(new Set(['api', 'web']));
  });

  it('fails the run on a failing gate, naming the gate, its exit code and its log tail, and skips what follows', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, FILES);
    t = await startTestServer(root, repo, CONFIG);
    await pushChange(repo, 'feature/broken', { 'services/api/fail': 'the widget\n' }, 'break api');
    const run = await t.finished((await t.runFor('feature/broken')).id);
    expect(run.run.state).toBe('failed');
    expect(run.run.error).toMatchObject({ code: 'GATE_FAILED', exitCode: 3 });
    expect(run.run.error?.message).toMatch(/api\/lint failed with exit code 3/);
    expect(run.run.error?.logTail?.join('\n')).toMatch(/something broke: the widget/);
    expect(run.steps.find((s) => s.key === 'gate:api:test')?.state).toBe('skipped');
  });

  it('never lets a registered secret reach stored or streamed logs, plain or encoded', async () => {
    const secret = registerSecret('sk_live_51Hx9Q2eZvKYlo2C');
    const root = await temp.make();
    const files = {
      ...FILES,
      'services/api/check.sh': `echo "key=$API_KEY"\nprintf '%s' "$API_KEY" | base64\nprintf 'split: %s' "$(printf '%s' "$API_KEY" | cut -c1-8)"; printf '%s\\n' "$(printf '%s' "$API_KEY" | cut -c9-)"\n${CHECK}`,
    };
    const repo = await fixtureRepo(root, files);
    t = await startTestServer(root, repo, CONFIG, { secrets: new EnvSecretSource({ GANTRY_SECRET_API_KEY: secret }) });
    await pushChange(repo, 'feature/secret', { 'services/api/index.js': 'export const a = 3;\n' }, 'api: use key');
    const run = await t.finished((await t.runFor('feature/secret')).id);
    expect(run.run.state).toBe('succeeded');
    const { body } = await t.api<{ lines: { text: string }[] }>('GET', `/api/v1/runs/${run.run.id}/logs`);
    const text = body.lines.map((l) => l.text).join('\n');
    expect(text).toContain('key=***');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(Buffer.from(secret).toString('base64'));
    const sse = await t.server.app.inject({ method: 'GET', url: `/api/v1/runs/${run.run.id}/logs?follow=true`, headers: { authorization: `Bearer ${t.token}` } });
    expect(sse.body).toContain('event: end');
    expect(sse.body).not.toContain(secret);
    const db = await readFile(join(t.dataDir, 'gantry.db'));
    expect(db.includes(Buffer.from(secret))).toBe(false);
  });

  it('keys the cache on which declared secrets resolved and their versions, and says when one is missing', async () => {
    const root = await temp.make();
    const config = CONFIG.replace('dev: { branch: develop }', 'dev: { branch: develop }\n  production: { branch: main }');
    const probe = 'if [ -n "$API_KEY" ]; then echo "API_KEY is set"; else echo "API_KEY is not set"; fi\n';
    const repo = await fixtureRepo(root, { ...FILES, 'gantry.yaml': config, 'services/api/check.sh': probe + CHECK });
    t = await startTestServer(root, repo, config);
    const server = t;
    const apiLog = async (runId: number, step = 'gate:api:lint') =>
      (await server.api<{ lines: { text: string }[] }>('GET', `/api/v1/runs/${runId}/logs?step=${step}`)).body.lines.map((l) => l.text).join('\n');
    const setSecret = async (scope: string, value: string) => {
      const res = await server.server.app.inject({ method: 'PUT', url: `/api/v1/secrets/${scope}/API_KEY`, headers: { authorization: `Bearer ${server.token}` }, payload: { value: registerSecret(value) } });
      expect(res.statusCode, res.body).toBe(200);
    };
    const dispatchDev = async () => (await server.finished((await server.api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'dev' })).body.run.id)).steps;
    const apiGates = (steps: StepView[]) => gates(steps).filter((s) => s.service === 'api').map((s) => [s.key, s.cached]);

    // A feature branch has no environment: its gates pass without the dev secret, and say so.
    await pushChange(repo, 'feature/key', { 'services/api/index.js': 'export const a = 7;\n' }, 'api: change');
    const feature = await t.finished((await t.runFor('feature/key')).id);
    expect(feature.run.state).toBe('succeeded');
    expect(gates(feature.steps)[0]?.summary).toMatchObject({ exitCode: 0, missingSecrets: ['API_KEY'] });
    expect(await apiLog(feature.run.id)).toMatch(/warning: declared secret\(s\) API_KEY not set as shared secrets: the gate runs without them[\s\S]*API_KEY is not set/);

    // Merged to develop, where the secret is set: the pass without it is not reused.
    await setSecret('dev', 'dev-api-key-v1-Zq8Kx3vN7p');
    await repo.git('checkout', '--quiet', 'develop');
    await repo.git('merge', '--quiet', '--no-ff', '-m', 'merge', 'feature/key');
    await repo.push('develop');
    const develop = await t.finished((await t.runFor('develop')).id);
    expect(develop.run.state).toBe('succeeded');
    expect(apiGates(develop.steps)).toEqual([['gate:api:lint', false], ['gate:api:test', false]]);
    const withKey = await apiLog(develop.run.id);
    expect(withKey).toContain('API_KEY is set');
    expect(withKey).not.toContain('warning: declared secret');
    expect(gates(develop.steps)[0]?.summary).not.toHaveProperty('missingSecrets');

    // Same content, same secret version: cached. A new version of the secret: run again.
    expect(apiGates(await dispatchDev())).toEqual([['gate:api:lint', true], ['gate:api:test', true]]);
    await setSecret('dev', 'dev-api-key-v2-Y4wB6cF1hJ');
    expect(apiGates(await dispatchDev())).toEqual([['gate:api:lint', false], ['gate:api:test', false]]);

    // A run bound for production gets no production secret in its gates (they run before approvals).
    await setSecret('production', 'prod-api-key-v1-pL2mR9tY4w');
    await pushChange(repo, 'main', { 'services/api/index.js': 'export const a = 8;\n' }, 'api: release', 'main');
    const production = await t.finished((await t.runFor('main')).id);
    expect(production.run.environment).toBe('production');
    const prodLog = await apiLog(production.run.id);
    expect(prodLog).toContain('API_KEY is not set');
    expect(prodLog).toMatch(/a gate of a run bound for production runs before its approvals, so it gets shared secrets only/);
  });

  it('runs two services’ one-second gates side by side', async () => {
    const root = await temp.make();
    const slow = 'echo start; sleep 1; echo done\n';
    const repo = await fixtureRepo(root, { ...FILES, 'services/api/check.sh': slow, 'apps/web/check.sh': slow });
    const config = CONFIG.replace('      - { name: test, run: "sh check.sh test", junit: junit.xml }\n', '');
    expect(config).not.toContain('name: test');
    await pushChange(repo, 'develop', { 'gantry.yaml': config }, 'one gate each', 'develop');
    t = await startTestServer(root, repo, config);
    const { body } = await t.api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'dev' });
    const run = await t.finished(body.run.id);
    const [a, b] = gates(run.steps);
    expect(a && b).toBeTruthy();
    const [startA, endA, startB, endB] = [a?.startedAt, a?.finishedAt, b?.startedAt, b?.finishedAt].map((t) => Date.parse(t ?? '')) as [number, number, number, number];
    // Side by side: their [start, end] intervals overlap (each started before the other finished),
    // which a one-by-one run cannot do, however fast or loaded the machine.
    expect(Math.max(startA, startB)).toBeLessThan(Math.min(endA, endB));
  });

  it('never touches the user’s working tree and removes its worktrees when the run ends', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, FILES);
    t = await startTestServer(root, repo, CONFIG);
    await pushChange(repo, 'feature/clean', { 'services/api/index.js': 'export const a = 4;\n' }, 'api: again');
    await t.finished((await t.runFor('feature/clean')).id);
    expect(await repo.git('status', '--porcelain')).toBe('');
    // Clean-up follows the run's end (which is written first), so wait for it rather than race it.
    const dataDir = t.dataDir;
    const work = defaultWorkDir(dataDir);
    await until('the run’s worktrees to be removed', async () => (await readdir(work).catch(() => [])).every((e) => !e.startsWith('run-')), 10_000);
  });

  it('takes the branch → environment mapping from the server’s pinned config, not from the pushed commit', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, FILES);
    t = await startTestServer(root, repo, CONFIG);
    // The commit tries to make its own feature branch deploy to dev.
    const hijack = CONFIG.replace('dev: { branch: develop }', 'dev: { branch: "feature/*" }');
    await pushChange(repo, 'feature/hijack', { 'gantry.yaml': hijack, 'services/api/index.js': 'export const a = 9;\n' }, 'map me to dev');
    const run = await t.finished((await t.runFor('feature/hijack')).id);
    expect(run.run.environment).toBeNull();
    expect(run.steps.some((s) => s.kind === 'environment-lock')).toBe(false);
    // The change is shown, not applied: it waits for an admin.
    expect(run.run.notes.join(' ')).toContain('changes rules that guard environments; the server keeps its own until an admin accepts the change: environments.dev.branch: "develop" → "feature/*"');
    const proposed = (await t.server.store.events.list(50)).find((e) => e.kind === 'config.guard-change-proposed');
    expect(proposed?.data).toMatchObject({ sha: run.run.sha, changes: ['environments.dev.branch: "develop" → "feature/*"'] });
  });

  it('streams a running gate’s log lines live, then ends the stream', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { ...FILES, 'services/api/check.sh': 'echo first; sleep 0.5; echo second\n' });
    t = await startTestServer(root, repo, CONFIG.replace(', junit: junit.xml', ''));
    const { body } = await t.api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'dev' });
    const res = await fetch(`${t.server.url}/api/v1/runs/${body.run.id}/logs?step=gate:api:lint&follow=true`, { headers: { authorization: `Bearer ${t.token}` } });
    const seen: Array<[string, number]> = [];
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of res.body ?? []) {
      text += decoder.decode(chunk as Uint8Array);
      for (const word of ['first', 'second']) if (text.includes(`"text":"${word}"`) && !seen.some(([w]) => w === word)) seen.push([word, Date.now()]);
    }
    expect(seen.map(([w]) => w)).toEqual(['first', 'second']);
    // "first" arrived while the gate was still sleeping, not at the end in one batch.
    expect((seen[1]?.[1] ?? 0) - (seen[0]?.[1] ?? 0)).toBeGreaterThan(200);
    expect(text).toMatch(/event: end/);
  });
});
