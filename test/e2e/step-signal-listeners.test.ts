import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadDriver } from '../../src/cli/demo/load-driver.js';
import { stopAgentProcesses } from '../../src/targets/local/stop-agents.js';
import { basePort, faultConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * Node warns (MaxListenersExceededWarning) the moment an AbortSignal holds more than 10 abort
 * listeners. A step's waits (the watch window's ticks, readiness and health polls) sleep on the
 * step's signal many times; each must take its listener away when it ends. A watch of 6 s ticks 12
 * times: one listener left per tick was enough for the warning, and a kept demo server died of that
 * write to a closed stderr (issue 18, item 4).
 */
describe('abort listeners of a running step', () => {
  const temp = new TempDirs();
  const port = basePort();
  let server: ServerProcess | undefined;
  let dataDir = '';

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      const exited = new Promise((r) => server?.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
    if (dataDir) await stopAgentProcesses(join(dataDir, 'agents'));
    await temp.cleanup();
  });

  it('stay flat over deployments with long watch windows: the server never warns of a listener leak', async () => {
    const config = faultConfig(port, 6_000);
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') });
    const configPath = join(root, 'server.yaml');
    await writeFile(configPath, config.replace('url: .', `url: ${repo.originDir}`));
    dataDir = join(root, 'data');
    const s = await startServerProcess(configPath, dataDir);
    server = s;
    let stderr = '';
    s.child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const headers = { authorization: `Bearer ${(await readFile(join(dataDir, 'admin.token'), 'utf8')).trim()}`, 'content-type': 'application/json' };
    const api = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> =>
      (await (await fetch(`${s.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })).json()) as T;

    // Two deployments of prod (blue-green, health checks, a 6 s watch under light traffic).
    // The watch needs traffic; refusals before the first router exists do not count as failures.
    const load = new LoadDriver([`http://127.0.0.1:${port}/`], 2);
    load.start();
    for (const ref of ['main', 'release/v2']) {
      if (ref !== 'main') await pushChange(repo, ref, serviceFiles('v2'), 'v2', 'main');
      const { run } = await api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'prod', ref });
      const done = await until(`run #${run.id} to finish`, async () => {
        const r = await api<{ run: { state: string }; steps: Array<{ kind: string; state: string; message: string | null }> }>('GET', `/api/v1/runs/${run.id}`);
        return ['succeeded', 'failed', 'cancelled'].includes(r.run.state) ? r : undefined;
      }, 90_000);
      expect(done.run.state, JSON.stringify(done.steps)).toBe('succeeded');
      expect(done.steps.find((step) => step.kind === 'watch')?.state).toBe('succeeded');
    }
    const traffic = await load.stop();
    expect(traffic.ok).toBeGreaterThan(0);
    expect(stderr).not.toMatch(/MaxListenersExceededWarning/);
    expect(s.child.exitCode).toBeNull();
  }, 240_000);
});
