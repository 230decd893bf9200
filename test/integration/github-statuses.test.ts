import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import examples from '@octokit/webhooks-examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import { runCli } from '../support/cli.js';
import { FakeGitHub } from '../support/fake-github.js';
import { fixtureRepo, writeTree } from '../support/fixture-repo.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { registerSecret } from '../support/sweep.js';
import { TempDirs, until } from '../support/temp.js';

const run = promisify(execFile);
type Json = Record<string, unknown>;

const REPO = 'Codertocat/Hello-World';
const WEBHOOK_SECRET = registerSecret('statuses-test-webhook-secret');
const TOKEN = registerSecret('ghp_statusesTestToken0123456789abcdefABCD');
const PUBLIC_URL = 'https://gantry.example.test';
const REQUIRED = ['api/lint', 'api/test', 'web/lint'];

/** api's test gate fails while api/FAIL exists; web is untouched by the pull requests below. */
const config = (origin: string, apiUrl: string): string => `version: 1
project:
  name: gh-statuses
repository:
  url: ${origin}
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: lint
        run: echo linted
      - name: test
        run: test ! -e FAIL
  web:
    path: web
    gates:
      - name: lint
        run: echo linted
environments:
  dev:
    branch: develop
branches:
  main:
    protection:
      requiredApprovals: 1
      allowDirectPush: false
      requiredChecks: [${REQUIRED.join(', ')}]
github:
  repo: ${REPO}
  webhookSecret: { secret: GITHUB_WEBHOOK_SECRET }
  token: { secret: GITHUB_TOKEN }
  apiUrl: ${apiUrl}
`;

/** GitHub's real `pull_request` payload (opened), with this test's number, head sha and branch. */
function pullRequestEvent(action: 'opened' | 'synchronize' | 'reopened', number: number, sha: string, ref: string): Json {
  const def = (examples as unknown as Array<{ name: string; examples: Json[] }>).find((d) => d.name === 'pull_request');
  const e = structuredClone(def?.examples.find((x) => x.action === action) ?? def?.examples.find((x) => x.action === 'opened')) as Json;
  const pr = e.pull_request as Json;
  Object.assign(e, { action, number });
  Object.assign(pr, { number, state: 'open', merged: false });
  Object.assign(pr.head as Json, { sha, ref });
  Object.assign(pr.base as Json, { ref: 'develop' });
  return e;
}

describe('gate results reach GitHub as commit statuses', () => {
  const temp = new TempDirs();
  let root = '';
  let repo: ScratchRepo;
  let github: FakeGitHub;
  let server: ServerProcess;
  let admin = '';
  let delivery = 0;

  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const deliver = async (event: string, payload: Json, id = `statuses-${(delivery += 1)}`): Promise<{ status: number; body: Json }> => {
    const body = JSON.stringify(payload);
    const signature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
    const res = await fetch(`${server.url}/api/v1/github/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': id, 'x-hub-signature-256': signature }, body });
    return { status: res.status, body: (await res.json()) as Json };
  };
  /** A commit that exists on GitHub only as a pull request's head (`refs/pull/<n>/head`), as from a fork. */
  const pullRequestHead = async (number: number, files: Record<string, string>): Promise<string> => {
    await repo.git('checkout', '--quiet', '-B', `pr-${number}`, 'develop');
    await writeTree(repo.workDir, files);
    const sha = await repo.commitAll(`pull request ${number}`);
    await repo.git('push', '--quiet', 'origin', `pr-${number}:refs/pull/${number}/head`);
    return sha;
  };
  const finished = (runId: number) => until(`run #${runId} to finish`, async () => {
    const r = await api('GET', `/api/v1/runs/${runId}`);
    const state = (r.body.run as Json | undefined)?.state;
    return state === 'succeeded' || state === 'failed' || state === 'cancelled' ? r.body : undefined;
  }, 60_000);
  /** Waits until the commit shows a final (not pending) status for every context given. */
  const settled = (sha: string, contexts: readonly string[], timeoutMs = 60_000) =>
    until(`final statuses on ${sha.slice(0, 7)} for ${contexts.join(', ')}`, () => {
      const latest = github.latest(sha);
      return contexts.every((c) => (latest.get(c)?.state ?? 'pending') !== 'pending') ? latest : undefined;
    }, timeoutMs);

  beforeAll(async () => {
    root = await temp.make();
    repo = await fixtureRepo(root, { 'api/index.js': 'export {};\n', 'web/index.js': 'export {};\n' });
    const origin = join(root, 'origin.git');
    github = await FakeGitHub.start({
      repo: REPO,
      token: TOKEN,
      commitExists: async (sha) => run('git', ['--git-dir', origin, 'cat-file', '-e', `${sha}^{commit}`]).then(() => true, () => false),
    });
    const configPath = join(root, 'gantry.yaml');
    await writeFile(configPath, config(origin, github.url));
    const dataDir = join(root, 'data');
    server = await startServerProcess(configPath, dataDir, ['--public-url', PUBLIC_URL]);
    admin = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    // Where an operator puts them: the shared scope of the encrypted secret store.
    for (const [name, value] of [['GITHUB_WEBHOOK_SECRET', WEBHOOK_SECRET], ['GITHUB_TOKEN', TOKEN]] as const) {
      expect((await api('PUT', `/api/v1/secrets/shared/${name}`, { value })).status).toBeLessThan(300);
    }
  }, 120_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
    }
    await github?.close();
    await temp.cleanup();
  });

  it("runs CI for a pull request's head and posts a status for each gate and for the run, linked to the run's page", async () => {
    const sha = await pullRequestHead(7, { 'api/index.js': 'export const a = 1;\n' });
    const answer = await deliver('pull_request', pullRequestEvent('opened', 7, sha, 'feature/from-fork'));
    expect(answer).toMatchObject({ status: 200, body: { recorded: 'pull_request', number: 7, reused: false } });
    const runId = Number(answer.body.run);
    const view = await finished(runId);
    // CI only: a pull request never deploys, whatever its branches
    expect(view.run).toMatchObject({ trigger: 'pull_request', sha, environment: null, state: 'succeeded' });
    expect((view.steps as Json[]).map((s) => s.kind).filter((k) => k !== 'gate' && k !== 'scan')).toEqual([]);

    const latest = await settled(sha, [...REQUIRED, 'gantry/scan', 'gantry/run']);
    const link = `${PUBLIC_URL}/#/runs/${runId}`;
    expect(latest.get('api/lint')).toMatchObject({ state: 'success', target_url: link, description: expect.stringMatching(/^passed/) });
    expect(latest.get('api/test')).toMatchObject({ state: 'success', target_url: link });
    expect(latest.get('gantry/scan')).toMatchObject({ state: 'success', target_url: link });
    // web did not change: its gate is not run, and GitHub must not wait for it forever
    expect(latest.get('web/lint')).toMatchObject({ state: 'success', description: 'not run: web is not affected by this change' });
    expect(latest.get('gantry/run')).toMatchObject({ state: 'success', target_url: link, description: `run #${runId} succeeded` });
    // a context never goes back to pending once it has its result
    for (const context of latest.keys()) {
      const states = github.statusesFor(sha).filter((s) => s.context === context).map((s) => s.state);
      expect(states.slice(states.findIndex((x) => x !== 'pending'))).not.toContain('pending');
    }
    // GitHub's REST protocol: the token, its media type and API version
    const hit = github.hits.find((h) => h.path === `/repos/Codertocat/Hello-World/statuses/${sha}`);
    expect(hit?.headers.authorization).toBe(`token ${TOKEN}`);
    expect(hit?.headers.accept).toBe('application/vnd.github+json');
    expect(hit?.headers['x-github-api-version']).toBe('2022-11-28');
    expect(hit?.headers['user-agent']).toMatch(/^gantry /);
  });

  it('posts failure for a failing gate and for the run', async () => {
    const sha = await pullRequestHead(8, { 'api/FAIL': 'x\n' });
    const answer = await deliver('pull_request', pullRequestEvent('opened', 8, sha, 'feature/broken'));
    const runId = Number(answer.body.run);
    expect((await finished(runId)).run).toMatchObject({ state: 'failed' });
    const latest = await settled(sha, [...REQUIRED, 'gantry/run']);
    expect(latest.get('api/lint')?.state).toBe('success');
    expect(latest.get('api/test')).toMatchObject({ state: 'failure', description: expect.stringMatching(/^failed: /) });
    expect(latest.get('gantry/run')).toMatchObject({ state: 'failure', description: expect.stringMatching(new RegExp(`^run #${runId} failed at api › test`)) });
  });

  it('makes one run when the head branch is pushed here and its pull request opens', async () => {
    await repo.git('checkout', '--quiet', '-B', 'feature/same-repo', 'develop');
    await writeTree(repo.workDir, { 'api/index.js': 'export const b = 2;\n' });
    const sha = await repo.commitAll('same-repo branch');
    await repo.push('feature/same-repo');
    const answer = await deliver('pull_request', pullRequestEvent('opened', 9, sha, 'feature/same-repo'));
    expect(answer.body).toMatchObject({ reused: true });
    const again = await deliver('pull_request', pullRequestEvent('reopened', 9, sha, 'feature/same-repo'));
    expect(again.body).toMatchObject({ reused: true, run: answer.body.run });
    const runs = ((await api('GET', '/api/v1/runs?limit=100')).body.runs as Json[]).filter((r) => r.sha === sha);
    expect(runs.map((r) => r.trigger)).toEqual(['push']);
    await settled(sha, ['gantry/run']);
  });

  it('retries a status that GitHub answered 500 twice', async () => {
    const sha = await pullRequestHead(10, { 'api/index.js': 'export const c = 3;\n' });
    const before = github.hits.length;
    github.failNext(2);
    const answer = await deliver('pull_request', pullRequestEvent('synchronize', 10, sha, 'feature/retry'));
    await finished(Number(answer.body.run));
    await settled(sha, [...REQUIRED, 'gantry/run']);
    const first = github.hits.slice(before).filter((h) => h.path.endsWith(sha)).slice(0, 3);
    expect(first.map((h) => h.status)).toEqual([500, 500, 201]);
    expect(first[2]?.body).toEqual(first[0]?.body);
  });

  it('finishes the run while GitHub is down, and posts its statuses once GitHub is back', async () => {
    const sha = await pullRequestHead(11, { 'api/index.js': 'export const d = 4;\n' });
    github.down = true;
    try {
      const answer = await deliver('pull_request', pullRequestEvent('opened', 11, sha, 'feature/outage'));
      expect((await finished(Number(answer.body.run))).run).toMatchObject({ state: 'succeeded' });
      expect(github.statusesFor(sha)).toEqual([]);
    } finally {
      github.down = false;
    }
    const latest = await settled(sha, [...REQUIRED, 'gantry/run'], 90_000);
    expect(latest.get('gantry/run')?.state).toBe('success');
  }, 120_000);

  it('does not repeat a status GitHub refuses for a bad token, and the run is not affected', async () => {
    expect((await api('PUT', '/api/v1/secrets/shared/GITHUB_TOKEN', { value: registerSecret('ghp_revokedTokenForTheStatusesTest0123') })).status).toBeLessThan(300);
    try {
      const sha = await pullRequestHead(14, { 'api/index.js': 'export const f = 6;\n' });
      const answer = await deliver('pull_request', pullRequestEvent('opened', 14, sha, 'feature/revoked'));
      expect((await finished(Number(answer.body.run))).run).toMatchObject({ state: 'succeeded' });
      // every context is tried (and refused) once its result is known: 401 is not retried
      const refused = await until('the final statuses to be refused', () => {
        const hits = github.hits.filter((h) => h.path.endsWith(sha));
        return hits.some((h) => h.body?.context === 'gantry/run' && h.body.state === 'success') ? hits : undefined;
      });
      expect(refused.every((h) => h.status === 401)).toBe(true);
      const finals = refused.filter((h) => h.body?.state !== 'pending').map((h) => h.body?.context);
      expect(finals.length).toBe(new Set(finals).size);
      expect(github.statusesFor(sha)).toEqual([]);
    } finally {
      expect((await api('PUT', '/api/v1/secrets/shared/GITHUB_TOKEN', { value: TOKEN })).status).toBeLessThan(300);
    }
  });

  it('answers 404 for a head the repository lacks, and runs it when GitHub redelivers after the push', async () => {
    await repo.git('checkout', '--quiet', '-B', 'pr-12', 'develop');
    await writeTree(repo.workDir, { 'api/index.js': 'export const e = 5;\n' });
    const sha = await repo.commitAll('not pushed yet');
    const missing = await deliver('pull_request', pullRequestEvent('opened', 12, sha, 'feature/late'), 'late-delivery');
    expect(missing).toMatchObject({ status: 404, body: { code: 'COMMIT_NOT_FOUND', message: expect.stringContaining(sha.slice(0, 12)), hint: expect.stringMatching(/redeliver/) } });
    expect(((await api('GET', '/api/v1/runs?limit=100')).body.runs as Json[]).filter((r) => r.sha === sha)).toEqual([]);
    await repo.git('push', '--quiet', 'origin', `pr-12:refs/pull/12/head`);
    const redelivered = await deliver('pull_request', pullRequestEvent('opened', 12, sha, 'feature/late'), 'late-delivery');
    expect(redelivered).toMatchObject({ status: 200, body: { reused: false } });
    await finished(Number(redelivered.body.run));
  });

  it('refuses a head sha that is not a commit id with 400, and runs nothing', async () => {
    const before = ((await api('GET', '/api/v1/runs?limit=100')).body.runs as Json[]).length;
    const bad = await deliver('pull_request', pullRequestEvent('opened', 13, '--upload-pack=touch /tmp/x', 'feature/odd'));
    expect(bad).toMatchObject({ status: 400, body: { code: 'WEBHOOK_PAYLOAD_INVALID', message: expect.stringMatching(/head\.sha/) } });
    expect(((await api('GET', '/api/v1/runs?limit=100')).body.runs as Json[]).length).toBe(before);
  });

  it('gantry server refuses a --public-url that is not an http(s) URL, before it makes its data folder', async () => {
    const dataDir = join(root, 'never-made');
    const result = await runCli(['server', '--config', join(root, 'gantry.yaml'), '--data-dir', dataDir, '--port', '0', '--public-url', 'ftp://gantry.example.test']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--public-url "ftp://gantry.example.test" is not an http(s) URL');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('gantry github protect requires the gates as `checks`, not the deprecated `contexts`', async () => {
    const before = github.hits.length;
    const result = await runCli(['-c', join(root, 'gantry.yaml'), '-o', 'json', 'github', 'protect'], { GITHUB_TOKEN: TOKEN });
    expect(result.code).toBe(0);
    const put = github.hits.slice(before).find((h) => h.method === 'PUT');
    expect(put?.path).toBe('/repos/Codertocat/Hello-World/branches/main/protection');
    expect(put?.status).toBe(200);
    expect(put?.body?.required_status_checks).toEqual({ strict: false, checks: REQUIRED.map((context) => ({ context })) });
  });
});
