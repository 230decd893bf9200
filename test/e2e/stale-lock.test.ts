import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAgentProcesses } from '../../src/targets/local/stop-agents.js';
import { runCli } from '../support/cli.js';
import { basePort, deployConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TempDirs } from '../support/temp.js';

/** The built CLI and server: run `npx tsc -p tsconfig.build.json` first (as `npm test` does). */

interface RunBody {
  readonly run: { readonly id: number; readonly state: string };
  readonly steps: ReadonlyArray<{ readonly key: string; readonly state: string }>;
}

describe('a lock left behind by a run that ended does not block the next deploy', () => {
  const temp = new TempDirs();
  const port = basePort();
  const config = deployConfig({ port, smoke: false });
  let dataDir: string;
  let configPath: string;
  let server: ServerProcess | undefined;
  let env: Record<string, string>;

  const gantry = (args: string[]) => runCli(args, { CI: 'true', ...env });
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${env.GANTRY_SERVER ?? ''}${path}`, { headers: { authorization: `Bearer ${env.GANTRY_TOKEN ?? ''}` } });
    return (await res.json()) as T;
  };
  const start = async (): Promise<void> => {
    server = await startServerProcess(configPath, dataDir);
    env = { GANTRY_SERVER: server.url, GANTRY_TOKEN: (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim() };
  };
  const crash = async (): Promise<void> => {
    const child = server?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };

  beforeAll(async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') });
    configPath = join(root, 'server.yaml');
    await writeFile(configPath, config.replace('url: .', `url: ${repo.originDir}`));
    dataDir = join(root, 'data');
    await start();
  });

  afterAll(async () => {
    await crash();
    await stopAgentProcesses(join(dataDir, 'agents'));
    await temp.cleanup();
  });

  it('evicts the lock of a finished run and of a run that no longer exists, records it, and deploys', async () => {
    const first = await gantry(['dispatch', 'dev', '--output', 'json']);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    const firstId = (JSON.parse(first.stdout) as RunBody).run.id;
    expect((await api<RunBody>(`/api/v1/runs/${firstId}`)).run.state).toBe('succeeded');

    // What an older version left when it crashed between finishing the run and releasing its locks:
    // the run finished, its lock row still there; and a lock whose run row is gone altogether.
    await crash();
    const db = new BetterSqlite3(join(dataDir, 'gantry.db'));
    try {
      db.prepare('INSERT INTO env_locks (environment, run_id, acquired_at) VALUES (?, ?, ?)').run('dev', firstId, Date.now());
      db.prepare('INSERT INTO env_locks (environment, run_id, acquired_at) VALUES (?, ?, ?)').run('staging', 9999, Date.now());
    } finally {
      db.close();
    }
    await start();
    expect((await api<{ locks: Array<{ environment: string; runId: number }> }>('/api/v1/locks')).locks.map((l) => [l.environment, l.runId])).toEqual([
      ['dev', firstId],
      ['staging', 9999],
    ]);

    for (const [environment, holder, why] of [
      ['dev', firstId, 'had ended (succeeded)'],
      ['staging', 9999, 'no longer exists'],
    ] as const) {
      const next = await gantry(['dispatch', environment, '--output', 'json']);
      expect(next.code, next.stderr).toBe(0);
      const id = (JSON.parse(next.stdout) as Pick<RunBody, 'run'>).run.id;
      const body = await api<RunBody>(`/api/v1/runs/${id}`);
      expect(body.run.state).toBe('succeeded');
      expect(body.steps.find((s) => s.key === `lock:${environment}`)?.state).toBe('succeeded');
      const logs = await api<{ lines: Array<{ text: string }> }>(`/api/v1/runs/${id}/logs?step=lock:${environment}`);
      expect(logs.lines.map((l) => l.text)).toContain(`took the ${environment} lock from run #${holder}, which ${why}`);
    }

    const audit = await api<{ events: Array<{ kind: string; data: Record<string, unknown> }> }>('/api/v1/audit');
    expect(audit.events.filter((e) => e.kind === 'lock.evicted').map((e) => e.data)).toEqual([
      { environment: 'dev', evictedRunId: firstId, evictedRunState: 'succeeded' },
      { environment: 'staging', evictedRunId: 9999, evictedRunState: null },
    ]);
    // Each run released its lock when it finished, in the same write that finished it.
    expect((await api<{ locks: unknown[] }>('/api/v1/locks')).locks).toEqual([]);
  }, 180_000);
});
