import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import { stopAgentProcesses } from '../../src/targets/local/stop-agents.js';
import { runCli } from '../support/cli.js';
import { basePort, serviceFiles } from '../support/deploy-fixture.js';
import { expectDocumentedShape } from '../support/doc-shapes.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { captureNotification, secretValue } from '../support/sweep.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * One guarded environment: production needs `approvals` approvals. Its service reads a secret, and
 * deployments are announced to a signed webhook: a real-process flow for the global secret sweep.
 */
const config = (port: number, approvals: number, receiver: string): string => `version: 1
project:
  name: guards
repository:
  url: .
  defaultBranch: main
services:
  api:
    path: api
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
    secrets: [DB_PASSWORD]
environments:
  prod:
    branch: main
    autoDeploy: false
    strategy: rolling
    secrets: [DB_PASSWORD]
    approvals:
      required: ${approvals}
notifications:
  channels:
    ops:
      kind: webhook
      url: ${receiver}/gantry
      signingSecret: { secret: WEBHOOK_SIGNING }
  routes:
    - events: [deployment.succeeded]
      channels: [ops]
`;

interface RunBody {
  run: { id: number; state: string; notes: string[] };
  steps: Array<{ kind: string; state: string; message: string | null }>;
}
interface Pinned {
  source: string;
  file: string;
  sha: string | null;
  by: string;
  reason: string | null;
}
interface AuditBody {
  events: Array<{ kind: string; actor: string; data: Record<string, unknown> }>;
}

describe('an admin accepts the guard rules of a commit (invariant 9), with the real server process', () => {
  const temp = new TempDirs();
  const port = basePort();
  let repo: ScratchRepo;
  let configPath: string;
  let dataDir: string;
  let server: ServerProcess;
  let admin: string;
  const tokens: Record<string, string> = {};
  let guardSha: string;
  let brokenSha: string;
  const delivered: string[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      delivered.push(body);
      captureNotification(`webhook ${req.url ?? ''}`, body);
      res.writeHead(200).end('ok');
    });
  });
  let hook = '';

  const api = async <T>(method: 'GET' | 'POST', path: string, body?: unknown, token = admin): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as T };
  };
  const gantry = (args: string[], token = admin, stdin = '') => runCli(args, { GANTRY_SERVER: server.url, GANTRY_TOKEN: token }, stdin);
  const pinned = async (): Promise<Pinned> => (await api<{ pinned: Pinned }>('GET', '/api/v1/config')).body.pinned;
  const audit = async (): Promise<AuditBody['events']> => (await api<AuditBody>('GET', '/api/v1/audit?limit=5000')).body.events;

  /** Dispatches production and waits for its approval step to wait; returns the run and the step's message. */
  const waitingForApproval = async (): Promise<{ id: number; message: string; notes: string[] }> => {
    const { body } = await api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'prod' });
    return until(`run #${body.run.id} to wait for approvals`, async () => {
      const r = (await api<RunBody>('GET', `/api/v1/runs/${body.run.id}`)).body;
      const step = r.steps.find((s) => s.kind === 'approval' && s.state === 'waiting');
      return step?.message ? { id: r.run.id, message: step.message, notes: r.run.notes } : undefined;
    }, 60_000, 100);
  };
  const finished = (id: number) => until(`run #${id} to finish`, async () => {
    const r = (await api<RunBody>('GET', `/api/v1/runs/${id}`)).body;
    return ['succeeded', 'failed', 'cancelled'].includes(r.run.state) ? r : undefined;
  }, 90_000, 100);
  const restart = async (): Promise<void> => {
    const exited = new Promise((r) => server.child.once('exit', r));
    server.child.kill('SIGTERM');
    await exited;
    server = await startServerProcess(configPath, dataDir);
  };

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config(port, 2, hook), ...serviceFiles('v1') });
    configPath = join(root, 'server.yaml');
    await writeFile(configPath, config(port, 2, hook).replace('url: .', `url: ${repo.originDir}`));
    dataDir = join(root, 'data');
    server = await startServerProcess(configPath, dataDir);
    admin = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    for (const [user, role] of [['alice', 'approver:prod'], ['dana', 'deployer:prod']] as const) {
      tokens[user] = (await api<{ token: string }>('POST', '/api/v1/tokens', { user, roles: [role] })).body.token;
    }
    for (const [scope, name] of [['prod', 'DB_PASSWORD'], ['shared', 'WEBHOOK_SIGNING']]) {
      expect((await gantry(['secrets', 'set', scope ?? '', name ?? ''], admin, secretValue(name ?? ''))).code).toBe(0);
    }
    guardSha = await pushChange(repo, 'main', { 'gantry.yaml': config(port, 1, hook) }, 'prod: one approval is enough', 'main');
    brokenSha = await pushChange(repo, 'broken-config', { 'gantry.yaml': `${config(port, 1, hook)}nonsense: true\n` }, 'a gantry.yaml with a typo', 'main');
  }, 120_000);

  afterAll(async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
    await stopAgentProcesses(join(dataDir, 'agents'));
    await new Promise((r) => receiver.close(r));
    await temp.cleanup();
  });

  it('keeps the pinned rules for a commit that changes them, and lists the change as pending', async () => {
    const run = await waitingForApproval();
    expect(run.message).toMatch(/^waiting for approvals: 0\/2/);
    expect(run.notes.join(' ')).toContain(`environments.prod.approvals.required: 2 → 1 (an admin accepts it with \`gantry config accept ${guardSha.slice(0, 7)}\`)`);
    expect((await api('POST', `/api/v1/runs/${run.id}/cancel`)).status).toBe(202);

    const show = await gantry(['config', 'show', '--output', 'json']);
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.stdout) as { pinned: Pinned; pending: Array<{ sha: string; changes: string[] }> };
    expect(shown.pinned).toMatchObject({ source: 'file', file: configPath, sha: null, by: 'server' });
    expect(shown.pending).toEqual([expect.objectContaining({ sha: guardSha, changes: ['environments.prod.approvals.required: 2 → 1'] })]);
    await expectDocumentedShape(shown, 'config-show');
    const text = await gantry(['config', 'show']);
    expect(text.stdout).toContain(`guard rules from ${configPath}`);
    expect(text.stdout).toContain(`pending: ${guardSha.slice(0, 7)}`);
  });

  it('refuses anyone but an admin, naming the admin role, and changes nothing', async () => {
    const cli = await gantry(['config', 'accept', guardSha], tokens.dana);
    expect(cli.code).toBe(3);
    expect(cli.stderr).toContain("FORBIDDEN: accepting a commit's guard rules needs the admin role; dana holds deployer:prod");
    const http = await api<{ code: string; message: string; hint: string }>('POST', '/api/v1/config/accept', { sha: guardSha }, tokens.alice);
    expect(http.status).toBe(403);
    expect(http.body).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('needs the admin role'), hint: expect.stringContaining('--role admin') });
    expect(await pinned()).toMatchObject({ source: 'file', sha: null });
  });

  it('refuses an invalid gantry.yaml at the commit with the loader errors, and an unknown commit, changing nothing', async () => {
    const invalid = await gantry(['config', 'accept', brokenSha]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(new RegExp(`^CONFIG_UNKNOWN_KEY: gantry\\.yaml at ${brokenSha.slice(0, 7)} is not valid`));
    expect(invalid.stderr).toMatch(new RegExp(`gantry\\.yaml@${brokenSha.slice(0, 7)}:\\d+:1 CONFIG_UNKNOWN_KEY unknown key "nonsense"`));

    const unknown = await gantry(['config', 'accept', 'deadbeefdeadbeef', '--output', 'json']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 'COMMIT_NOT_FOUND', hint: expect.stringContaining('Push it first') } });
    expect((await api('POST', '/api/v1/config/accept', { sha: 'deadbeefdeadbeef' })).status).toBe(404);
    expect((await gantry(['config', 'accept', 'not-a-sha'])).code).toBe(2);

    expect(await pinned()).toMatchObject({ source: 'file', sha: null });
    expect((await audit()).filter((e) => e.kind === 'config.guard-change-accepted')).toEqual([]);
  });

  it('accepts as an admin, audited, and a new run to production then needs one approval, not two', async () => {
    const planned = await waitingForApproval();
    const accepted = await gantry(['config', 'accept', guardSha.slice(0, 10), '--reason', 'two approvers are on leave', '--output', 'json']);
    expect(accepted.code).toBe(0);
    const body = JSON.parse(accepted.stdout) as { accepted: boolean; sha: string; changes: string[]; pinned: Pinned };
    expect(body).toMatchObject({ accepted: true, sha: guardSha, changes: ['environments.prod.approvals.required: 2 → 1'], pinned: { source: 'commit', sha: guardSha, by: 'admin', reason: 'two approvers are on leave' } });
    await expectDocumentedShape(body, 'config-accept');
    const again = await gantry(['config', 'accept', guardSha]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`the guard rules of ${guardSha.slice(0, 7)} equal those in force: nothing changed`);
    expect((await gantry(['config', 'show'])).stdout).toMatch(/no pending guard-rule changes/);

    // A run planned before the acceptance keeps the rules it was planned with, and the approvals list says so.
    const listed = (await api<{ approvals: Array<{ run: { id: number }; required: number }> }>('GET', '/api/v1/approvals')).body.approvals;
    expect(listed.find((a) => a.run.id === planned.id)?.required).toBe(2);
    expect((await api('POST', `/api/v1/runs/${planned.id}/cancel`)).status).toBe(202);
    await finished(planned.id);

    const run = await waitingForApproval();
    expect(run.message).toMatch(/^waiting for approvals: 0\/1/);
    expect((await api<{ approvals: Array<{ run: { id: number }; required: number }> }>('GET', '/api/v1/approvals')).body.approvals.find((a) => a.run.id === run.id)?.required).toBe(1);
    expect((await api('POST', `/api/v1/runs/${run.id}/approve`, {}, tokens.alice)).status).toBe(201);
    const done = await finished(run.id);
    expect(done.run.state).toBe('succeeded');
    await until('the deployment to be announced to the webhook', () => delivered.some((b) => b.includes('deployment.succeeded')), 30_000);
  });

  it('keeps the accepted rules across a restart', async () => {
    await restart();
    expect(await pinned()).toMatchObject({ source: 'commit', sha: guardSha, by: 'admin' });
    const run = await waitingForApproval();
    expect(run.message).toMatch(/^waiting for approvals: 0\/1/);
    expect((await api('POST', `/api/v1/runs/${run.id}/cancel`)).status).toBe(202);
    await finished(run.id);
  });

  it('audits a changed --config file at start (not an unchanged one), which then wins over the older acceptance', async () => {
    await writeFile(configPath, (await readFile(configPath, 'utf8')).replace('required: 2', 'required: 3'));
    await restart();
    await restart();
    expect(await pinned()).toMatchObject({ source: 'file', sha: null });
    const events = await audit();
    const changed = events.filter((e) => e.kind === 'config.changed');
    expect(changed).toEqual([expect.objectContaining({ actor: 'server', data: expect.objectContaining({ file: configPath, hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), changes: ['environments.prod.approvals.required: 2 → 3'], supersedes: guardSha }) })]);
    expect(events.find((e) => e.kind === 'config.guard-change-proposed')?.data).toMatchObject({ sha: guardSha, changes: ['environments.prod.approvals.required: 2 → 1'] });
    expect(events.filter((e) => e.kind === 'config.guard-change-accepted')).toEqual([
      expect.objectContaining({ actor: 'admin', data: expect.objectContaining({ sha: guardSha, reason: 'two approvers are on leave', changes: ['environments.prod.approvals.required: 2 → 1'] }) }),
    ]);
    const verify = await gantry(['audit', 'verify']);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/events, chain intact/);
  });
});
