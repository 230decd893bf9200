import { Buffer } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import { EnvSecretSource } from '../../src/secrets/source.js';
import type { RunView, StepView } from '../../src/server/views.js';
import type { ManagedResources } from '../../src/targets/target.js';
import { runCli } from '../support/cli.js';
import { basePort, serviceFiles } from '../support/deploy-fixture.js';
import { withManagedResources, type AppliedResources } from '../support/fake-target.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** The built CLI: run `npx tsc -p tsconfig.build.json` first (as `npm test` does). */

const API_KEY = 'sk-live-7f3a9c1e5b2d4680';

const config = (port: number): string => `version: 1
project:
  name: backups
repository:
  url: .
  defaultBranch: staging
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
      interval: 100ms
      deadline: 3s
    secrets: [API_KEY]
environments:
  staging:
    branch: staging
    secrets: [API_KEY]
    backup:
      retention: 30d
`;

/** The objects a Kubernetes target would report: a Deployment, a Service, and the Secret by name and version only. */
function objects(environment: string, leak: boolean): ManagedResources {
  const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-secrets\n  namespace: backups-${environment}\n  annotations:\n    gantry.dev/secret-versions: API_KEY=v3\n${leak ? `data:\n  API_KEY: ${Buffer.from(API_KEY).toString('base64')}\n` : ''}`;
  const yaml = [
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: backups-${environment}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: api\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: api\n    spec:\n      containers:\n        - name: api\n          image: registry.example.com/backups/api@sha256:${'a'.repeat(64)}\n          envFrom:\n            - secretRef:\n                name: api-secrets\n`,
    `apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: backups-${environment}\nspec:\n  selector:\n    app.kubernetes.io/name: api\n  ports:\n    - port: 80\n      targetPort: 3000\n`,
    secret,
  ].join('---\n');
  return { format: 'kubernetes-yaml', yaml, objects: ['Deployment/api', 'Service/api', 'Secret/api-secrets'] };
}

interface BackupView {
  id: number;
  services: Array<{ service: string; revision: number }>;
  resources: { format: string; objects: string[] } | null;
}

describe('backups of the objects a target manages: stored, exported, applied again on restore', () => {
  const temp = new TempDirs();
  const port = basePort();
  let root: string;
  let t: TestServer;
  let repo: ScratchRepo;
  let leak = false;
  let applied: AppliedResources[] = [];
  let env: Record<string, string> = {};
  const deploy = async (): Promise<{ run: RunView; steps: StepView[] }> => {
    const res = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'staging' });
    return t.finished(res.body.run.id, 90_000);
  };
  const logsOf = async (runId: number, step: string): Promise<string> => (await t.api<{ lines: Array<{ text: string }> }>('GET', `/api/v1/runs/${runId}/logs?step=${step}`)).body.lines.map((l) => l.text).join('\n');

  beforeAll(async () => {
    root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config(port), ...serviceFiles('v1') });
    t = await startTestServer(root, repo, config(port), {
      secrets: new EnvSecretSource({ GANTRY_SECRET_API_KEY: API_KEY }),
      targetKinds: (kinds) =>
        kinds.map((kind) => {
          if (kind.kind !== 'local') return kind;
          const wrapped = withManagedResources(kind, (environment) => objects(environment, leak));
          applied = wrapped.applied;
          return wrapped;
        }),
    });
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
  });
  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('keeps the objects with the backup, Secrets by name and version only, and `gantry backup show` lists them', async () => {
    const first = await deploy();
    expect(first.run.state, JSON.stringify(first.run.error)).toBe('succeeded');
    await pushChange(repo, 'staging', serviceFiles('v2'), 'v2', 'staging');
    const second = await deploy();
    expect(second.run.state, JSON.stringify(second.run.error)).toBe('succeeded');
    expect(await logsOf(second.run.id, 'backup:staging')).toMatch(/keeps 3 object\(s\) of target local: Deployment\/api, Service\/api, Secret\/api-secrets/);

    const latest = (await t.server.store.backups.list('staging'))[0];
    expect(latest?.services.map((s) => `${s.service}@r${s.revision}`)).toEqual(['api@r1']);
    expect(latest?.resources?.objects).toEqual(['Deployment/api', 'Service/api', 'Secret/api-secrets']);
    // Nothing of the secret's value reached the store, in any form a Secret or a log would hold it.
    const db = Buffer.concat(await Promise.all(['gantry.db', 'gantry.db-wal'].map((f) => readFile(join(t.dataDir, f)).catch(() => Buffer.alloc(0)))));
    expect(db.length).toBeGreaterThan(0);
    for (const form of [API_KEY, Buffer.from(API_KEY).toString('base64')]) {
      expect(latest?.resources?.yaml).not.toContain(form);
      expect(db.includes(form)).toBe(false);
    }

    const show = await runCli(['backup', 'show', String(latest?.id)], env);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/objects \(3, export with `gantry backup export \d+`\):\n {2}Deployment\/api\n {2}Service\/api\n {2}Secret\/api-secrets/);
  });

  it('`gantry backup export <id> --file` writes YAML documents kubectl apply -f reads; without --file it prints them', async () => {
    const latest = (await t.api<{ backups: BackupView[] }>('GET', '/api/v1/backups?environment=staging')).body.backups[0];
    expect(latest?.resources?.objects).toHaveLength(3);
    const file = join(root, 'backup.yaml');
    const written = await runCli(['backup', 'export', String(latest?.id), '--file', file], env);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toContain(`wrote 3 object(s) of backup #${latest?.id} to ${file}`);
    const documents = parseAllDocuments(await readFile(file, 'utf8'));
    expect(Array.isArray(documents) ? documents.flatMap((d) => d.errors) : ['not a stream']).toEqual([]);
    const kinds = (Array.isArray(documents) ? documents : []).map((d) => d.toJS() as { kind: string; metadata: { name: string } }).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(['Deployment/api', 'Service/api', 'Secret/api-secrets']);

    const printed = await runCli(['backup', 'export', String(latest?.id)], env);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toBe(await readFile(file, 'utf8'));
    const http = await t.server.app.inject({ method: 'GET', url: `/api/v1/backups/${latest?.id}/export`, headers: { authorization: `Bearer ${t.token}` } });
    expect(http.headers['content-type']).toMatch(/^text\/yaml/);
  });

  it('refuses to export a backup without objects (404 BACKUP_NO_RESOURCES, with a hint), and an unknown one', async () => {
    const plain = await t.server.store.backups.add({ environment: 'staging', runId: null, reason: 'taken on a local target', services: [], createdAt: Date.now(), expiresAt: Date.now() + 3_600_000 });
    const http = await t.api<{ code: string; hint: string }>('GET', `/api/v1/backups/${plain.id}/export`);
    expect(http.status).toBe(404);
    expect(http.body.code).toBe('BACKUP_NO_RESOURCES');
    const cli = await runCli(['backup', 'export', String(plain.id)], env);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/BACKUP_NO_RESOURCES: backup #\d+ of staging holds no target objects to export/);
    expect(cli.stderr).toMatch(/hint: Only a kubernetes target saves its objects/);
    expect((await runCli(['backup', 'export', '9999'], env)).stderr).toMatch(/BACKUP_NOT_FOUND/);
  });

  it('`gantry backup restore` applies the saved objects again, a logged line per object, audited, then deploys the recorded revision', async () => {
    const withV1 = (await t.server.store.backups.list('staging')).find((b) => b.services[0]?.revision === 1);
    expect(withV1?.resources).toBeDefined();
    applied.length = 0;
    const restore = await runCli(['--yes', 'backup', 'restore', String(withV1?.id), '--reason', 'v2 breaks invoices', '--detach'], env);
    expect(restore.code, restore.stderr).toBe(0);
    const runId = Number(/run #(\d+)/.exec(restore.stdout)?.[1]);
    const run = await t.finished(runId, 90_000);
    expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
    expect(run.steps.map((s) => s.key).slice(0, 2)).toEqual(['lock:staging', 'restore-resources:staging']);
    expect(applied).toEqual([{ environment: 'staging', resources: withV1?.resources }]);
    const log = await logsOf(runId, 'restore-resources:staging');
    for (const o of ['Deployment/api', 'Service/api', 'Secret/api-secrets']) expect(log).toContain(`applied ${o}`);
    const events = await t.server.store.events.list(50, runId);
    expect(events.find((e) => e.kind === 'backup.resources-applied')?.data).toMatchObject({ environment: 'staging', backupId: withV1?.id, objects: ['Deployment/api', 'Service/api', 'Secret/api-secrets'] });
    expect(events.find((e) => e.kind === 'backup.restored')?.data).toMatchObject({ backupId: withV1?.id, reason: 'v2 breaks invoices' });
    expect(((await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { version: string }).version).toBe('v1');
  });

  it('refuses to store objects that hold a secret value: the deploy stops before it begins, and no backup is kept', async () => {
    const before = (await t.server.store.backups.list('staging')).length;
    leak = true;
    try {
      const run = await deploy();
      expect(run.run.state).toBe('failed');
      expect(run.run.error?.code).toBe('BACKUP_RESOURCES_HOLD_SECRET');
      expect(JSON.stringify(run)).not.toContain(API_KEY);
      expect(run.steps.find((s) => s.key.startsWith('deploy:'))?.state).not.toBe('succeeded');
    } finally {
      leak = false;
    }
    expect((await t.server.store.backups.list('staging')).length).toBe(before);
  });
});
