import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import { stopAgentProcesses } from '../../src/targets/local/stop-agents.js';
import { runCli } from '../support/cli.js';
import { basePort, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { EXAMPLE_REPO, deliver, pullRequestEvent, pushEvent, reviewEvent, type PullRequestFacts } from '../support/github-payloads.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { secretValue } from '../support/sweep.js';
import { TempDirs, until } from '../support/temp.js';

/** A GitHub repository whose `main` deploys to production and takes only reviewed pull requests. */
const config = (port: number): string => `version: 1
project:
  name: protected
repository:
  url: .
  defaultBranch: main
services:
  api:
    path: api
    gates:
      - name: lint
        run: echo linted
    build:
      run: mkdir -p out && cp server.mjs version out/
      output: out
    run:
      command: node server.mjs
      port: ${port}
    health:
      path: /healthz
      interval: 100ms
      deadline: 3s
environments:
  production:
    branch: main
    strategy: rolling
branches:
  # listed first, and matching main too: the stricter rule still protects main
  '*':
    protection:
      allowDirectPush: true
  main:
    protection:
      requiredApprovals: 1
      allowDirectPush: false
github:
  repo: ${EXAMPLE_REPO}
  webhookSecret: { secret: GITHUB_WEBHOOK_SECRET }
`;

interface RunView {
  id: number;
  sha: string;
  state: string;
  error: { code: string; message: string } | null;
}
interface RunBody {
  run: RunView;
  steps: Array<{ key: string; kind: string; state: string; message: string | null }>;
}

const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('GitHub branch protection gates what the watcher deploys (real server process, real git, signed webhooks over HTTP)', () => {
  const temp = new TempDirs();
  const port = basePort();
  const secret = secretValue('GITHUB_WEBHOOK_SECRET');
  let repo: ScratchRepo;
  let dataDir: string;
  let server: ServerProcess;
  let admin = '';

  const api = async <T>(method: 'GET' | 'POST', path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${admin}` } });
    return { status: res.status, body: (await res.json()) as T };
  };
  /** What the post-receive hook does after a push: ask the watcher to look now. */
  const notify = async (): Promise<void> => expect((await api('POST', '/api/v1/sources/notify')).status).toBe(202);
  const runFor = (sha: string) => until(`a run for ${sha.slice(0, 7)}`, async () => (await api<{ runs: RunView[] }>('GET', '/api/v1/runs')).body.runs.find((r) => r.sha === sha), 30_000, 100);
  const run = (id: number) => api<RunBody>('GET', `/api/v1/runs/${id}`).then((r) => r.body);
  const finished = (id: number) => until(`run #${id} to finish`, async () => {
    const r = await run(id);
    return ['succeeded', 'failed', 'cancelled'].includes(r.run.state) ? r : undefined;
  }, 90_000, 100);

  beforeAll(async () => {
    const root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config(port), ...serviceFiles('v1') });
    const configPath = join(root, 'server.yaml');
    await writeFile(configPath, config(port).replace('url: .', `url: ${repo.originDir}`));
    dataDir = join(root, 'data');
    server = await startServerProcess(configPath, dataDir);
    admin = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    const set = await runCli(['secrets', 'set', 'shared', 'GITHUB_WEBHOOK_SECRET'], { GANTRY_SERVER: server.url, GANTRY_TOKEN: admin }, secret);
    expect(set.code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
    await stopAgentProcesses(join(dataDir, 'agents'));
    await temp.cleanup();
  });

  it('fails the run of a direct push to protected main with PROTECTION_REFUSED before anything deploys', async () => {
    const before = (await repo.git('rev-parse', 'main')).trim();
    const direct = await pushChange(repo, 'main', serviceFiles('v2-direct'), 'a direct push to main', 'main');
    // The watcher sees the push first: the run waits, visibly, for GitHub's verdict.
    await notify();
    const { id } = await runFor(direct);
    const waiting = await until('the protection step to wait', async () => (await run(id)).steps.find((s) => s.kind === 'protection' && s.state === 'waiting'), 30_000, 100);
    expect(waiting.message).toBe(`waiting for GitHub's verdict on ${direct.slice(0, 7)} (branch protection)`);

    // GitHub's push delivery: the webhook refuses it (no merged pull request has it as merge commit).
    const verdict = await deliver(server.url, secret, 'push', pushEvent('main', before, direct));
    expect(verdict).toMatchObject({ status: 202, body: { accepted: false, sha: direct } });

    const done = await finished(id);
    expect(done.run.state).toBe('failed');
    expect(done.run.error?.code).toBe('PROTECTION_REFUSED');
    expect(done.run.error?.message).toContain(`main is protected: its head ${direct.slice(0, 7)} is not the merge commit of a merged pull request (a direct push)`);
    // Nothing was deployed: no deploy step ran, and nothing listens on the service's port.
    const deploys = done.steps.filter((s) => s.kind === 'deploy');
    expect(deploys.length).toBeGreaterThan(0);
    expect(deploys.every((s) => s.state === 'skipped')).toBe(true);
    expect(done.steps.find((s) => s.kind === 'environment-lock')?.state).toBe('skipped');
    expect(await listening(port)).toBe(false);
  });

  it('deploys the merge of a pull request approved by someone other than its author, whichever of push and pull_request GitHub delivers first', async () => {
    const head = await pushChange(repo, 'feature/v3', serviceFiles('v3'), 'v3', 'main');
    const pr: PullRequestFacts = { number: 7, author: 'Codertocat', headSha: head, base: 'main', updatedAt: '2026-01-10T10:00:00Z' };
    expect((await deliver(server.url, secret, 'pull_request', pullRequestEvent(pr))).status).toBe(200);
    const review = { id: 700_001, reviewer: 'hubot', state: 'approved', submittedAt: '2026-01-10T10:05:00Z' };
    expect((await deliver(server.url, secret, 'pull_request_review', reviewEvent({ ...pr, updatedAt: '2026-01-10T10:05:00Z' }, review))).body).toMatchObject({ recorded: 'pull_request_review', state: 'approved' });

    await repo.git('checkout', '--quiet', 'main');
    await repo.git('merge', '--quiet', '--no-ff', '-m', 'Merge pull request #7 from feature/v3', 'feature/v3');
    const merge = (await repo.git('rev-parse', 'HEAD')).trim();
    const before = (await repo.git('rev-parse', 'HEAD^1')).trim();
    await repo.push('main');
    // The watcher sees the merge first; then GitHub's push delivery comes before the pull_request
    // event that says it was merged (GitHub does not order deliveries).
    await notify();
    const { id } = await runFor(merge);
    const early = await deliver(server.url, secret, 'push', pushEvent('main', before, merge));
    expect(early).toMatchObject({ status: 202, body: { accepted: false, reason: expect.stringContaining('not the merge commit of a merged pull request') } });
    expect((await deliver(server.url, secret, 'pull_request', pullRequestEvent({ ...pr, updatedAt: '2026-01-10T10:06:00Z' }, merge))).status).toBe(200);
    // the merge's arrival judged the push again: refused while waiting for it, then accepted
    const audit = (await api<{ events: Array<{ kind: string; data: Record<string, unknown> }> }>('GET', '/api/v1/audit?limit=5000')).body.events;
    expect(audit.filter((e) => e.kind.startsWith('github.push.') && e.data.sha === merge).map((e) => [e.kind, e.data.awaitingPullRequest ?? null])).toEqual([
      ['github.push.refused', true],
      ['github.push.accepted', null],
    ]);

    const done = await finished(id);
    expect(done.run.state).toBe('succeeded');
    expect(done.steps.find((s) => s.kind === 'protection')?.message).toBe('GitHub accepted the push (pull request #7)');
    const served = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { version: string };
    expect(served.version).toBe('v3');
  });
});
