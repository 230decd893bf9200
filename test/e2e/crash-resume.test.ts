import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureRepo } from '../support/fixture-repo.js';
import { CLI, startServerProcess } from '../support/server-process.js';
import { TempDirs, until } from '../support/temp.js';


const config = (counter: string) => `version: 1
project:
  name: crashy
repository:
  url: ORIGIN
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: first
        run: echo first >> ${counter}
      - name: slow
        # The first attempt (the one the crash orphans) would sleep a minute and records its shell's pid;
        # the re-run is short: the test then checks that the orphan was stopped, with no race on timing.
        run: if grep -q slow-start ${counter}; then n=1; else n=60; echo "orphan $$" >> ${counter}; fi; echo slow-start >> ${counter}; sleep $n; echo slow >> ${counter}
      - name: last
        run: echo last >> ${counter}
environments:
  dev:
    branch: develop
`;


describe('a server killed with SIGKILL mid-run', () => {
  const temp = new TempDirs();
  const procs: ChildProcess[] = [];
  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await temp.cleanup();
  });

  it('resumes the run after a restart: finished steps do not run again, the interrupted one does, none is lost', async () => {
    expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
    const root = await temp.make();
    const counter = join(root, 'side-effects.log');
    // Gates of a server started as root run as nobody (issue 10, item 6): let them reach and append to the counter.
    await chmod(root, 0o711);
    await writeFile(counter, '', { mode: 0o666 });
    await chmod(counter, 0o666);
    const repo = await fixtureRepo(root, { 'api/index.js': 'export {};\n', 'gantry.yaml': config(counter).replace('ORIGIN', '.') });
    const configPath = join(root, 'server.yaml');
    await writeFile(configPath, config(counter).replace('ORIGIN', repo.originDir));
    const dataDir = join(root, 'data');

    const first = await startServerProcess(configPath, dataDir);
    procs.push(first.child);
    const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const dispatched = await fetch(`${first.url}/api/v1/dispatch`, { method: 'POST', headers, body: JSON.stringify({ environment: 'dev' }) });
    expect(dispatched.status).toBe(201);
    const { run } = (await dispatched.json()) as { run: { id: number } };

    await until('the slow gate to start', async () => (await readFile(counter, 'utf8').catch(() => '')).includes('slow-start'), 30_000);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await startServerProcess(configPath, dataDir);
    procs.push(second.child);
    const finished = await until(
      'the resumed run to finish',
      async () => {
        const res = await fetch(`${second.url}/api/v1/runs/${run.id}`, { headers });
        const body = (await res.json()) as { run: { state: string }; steps: { key: string; state: string; attempt: number }[] };
        return ['succeeded', 'failed', 'cancelled'].includes(body.run.state) ? body : undefined;
      },
      60_000,
    );
    expect(finished.run.state).toBe('succeeded');
    // The security scan, then the three gates.
    expect(finished.steps.map((s) => s.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);

    const effects = (await readFile(counter, 'utf8')).trim().split('\n');
    const count = (what: string) => effects.filter((e) => e === what).length;
    expect(count('first')).toBe(1);
    expect(count('slow-start')).toBe(2);
    // The orphaned first attempt was stopped before the re-run: its shell is gone and "slow" finished once.
    expect(count('slow')).toBe(1);
    const orphan = Number(effects.find((e) => e.startsWith('orphan '))?.slice('orphan '.length));
    expect(orphan).toBeGreaterThan(0);
    // Gone, or a zombie waiting for whichever process adopted it to reap it: either way it runs no more.
    const state = (await readFile(`/proc/${orphan}/stat`, 'utf8').catch(() => 'gone')).replace(/^.*\) /s, '').charAt(0);
    expect(['g', 'Z']).toContain(state);
    expect(count('last')).toBe(1);
    expect(finished.steps.find((s) => s.key === 'gate:api:slow')?.attempt).toBe(2);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  });
});
