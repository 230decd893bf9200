import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/kernel/clock.js';
import { startServer, type RunningServer } from '../../src/server/gantry-server.js';
import type { MirrorRepository } from '../../src/sources/git/repository.js';
import { GitWatcher } from '../../src/sources/git/watcher.js';
import type { Store } from '../../src/store/store.js';
import { installPostReceiveHook } from '../../src/sources/git/hook.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';

const CONFIG = (origin: string) => `version: 1
project:
  name: watched
repository:
  url: ${origin}
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: lint
        run: "true"
`;

async function boot(root: string, origin: string, pollMs: number, onToken?: (t: string) => void): Promise<RunningServer> {
  const configPath = join(root, 'server.yaml');
  await writeFile(configPath, CONFIG(origin));
  return startServer({ configPath, dataDir: join(root, 'data'), port: 0, logger: pino({ level: 'silent' }), sourcePollMs: pollMs, executorPollMs: 50, ...(onToken ? { onBootstrapToken: onToken } : {}) });
}

const runsOf = async (s: RunningServer) => s.store.runs.list();

describe('watching a git repository', () => {
  const temp = new TempDirs();
  const servers: RunningServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    await temp.cleanup();
  });

  it('records the heads it finds at first start without starting runs for them', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'api/a.js': '1\n' });
    const s = await boot(root, repo.originDir, 3_600_000);
    servers.push(s);
    await s.watcher.poll();
    expect((await s.store.branches.all()).map((b) => b.branch).sort()).toEqual(['develop', 'main', 'staging']);
    expect(await runsOf(s)).toEqual([]);
  });

  it('turns a new head into a run by polling', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'api/a.js': '1\n' });
    const s = await boot(root, repo.originDir, 100);
    servers.push(s);
    await until('the first look', async () => (await s.store.branches.all()).length === 3);
    const sha = await pushChange(repo, 'feature/polled', { 'api/a.js': '2\n' }, 'change');
    const run = await until('a run from polling', async () => (await runsOf(s)).find((r) => r.branch === 'feature/polled'));
    expect(run.sha).toBe(sha);
    expect(run.trigger).toBe('push');
  });

  it('hears about a push at once through the post-receive hook', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'api/a.js': '1\n' });
    let token = '';
    const s = await boot(root, repo.originDir, 3_600_000, (t) => (token = t));
    servers.push(s);
    await s.watcher.poll();
    await installPostReceiveHook(repo.originDir, s.url, token);
    await pushChange(repo, 'feature/hooked', { 'api/a.js': '3\n' }, 'change');
    const run = await until('a run from the hook', async () => (await runsOf(s)).find((r) => r.branch === 'feature/hooked'), 15_000);
    expect(run.branch).toBe('feature/hooked');
  });

  it('neither repeats nor misses pushes across a restart', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'api/a.js': '1\n' });
    const first = await boot(root, repo.originDir, 3_600_000);
    await first.watcher.poll();
    await pushChange(repo, 'feature/one', { 'api/a.js': '4\n' }, 'one');
    await first.watcher.poll();
    await first.executor.waitForRun(1);
    await first.close();
    await pushChange(repo, 'feature/two', { 'api/a.js': '5\n' }, 'two while down');
    const second = await boot(root, repo.originDir, 3_600_000);
    servers.push(second);
    await second.watcher.poll();
    const runs = await runsOf(second);
    expect(runs.map((r) => r.branch).sort()).toEqual(['feature/one', 'feature/two']);
  });

  it('forgets a deleted branch', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'api/a.js': '1\n' });
    const s = await boot(root, repo.originDir, 3_600_000);
    servers.push(s);
    await s.watcher.poll();
    await repo.git('push', '--quiet', 'origin', '--delete', 'staging');
    await s.watcher.poll();
    expect((await s.store.branches.all()).map((b) => b.branch).sort()).toEqual(['develop', 'main']);
  });

  it('fails a run whose commit carries an invalid gantry.yaml, listing the errors, and runs nothing', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'api/a.js': '1\n', 'gantry.yaml': CONFIG('.') });
    const s = await boot(root, repo.originDir, 3_600_000);
    servers.push(s);
    await s.watcher.poll();
    await pushChange(repo, 'feature/bad-config', { 'gantry.yaml': CONFIG('.').replace('    path: api', '    pth: api') }, 'typo');
    await s.watcher.poll();
    const run = await until('the run', async () => (await runsOf(s)).find((r) => r.branch === 'feature/bad-config'));
    expect(run.state).toBe('failed');
    expect(run.error?.message).toMatch(/gantry\.yaml at [0-9a-f]{7} is not valid/);
    expect(run.error?.logTail?.join('\n')).toMatch(/gantry\.yaml:\d+:\d+ CONFIG_/);
    expect(await s.store.steps.forRun(run.id)).toEqual([]);
  });
});

describe('stopping the source watcher', () => {
  it('schedules no further poll when stopped while a poll is still running', async () => {
    let release: (heads: Map<string, string>) => void = () => undefined;
    let looks = 0;
    const mirror = {
      remoteHeads: () => {
        looks++;
        return new Promise<Map<string, string>>((resolve) => (release = resolve));
      },
    } as unknown as MirrorRepository;
    const store = { branches: { all: async () => [] } } as unknown as Store;
    const watcher = new GitWatcher({ mirror, store, clock: systemClock, logger: pino({ level: 'silent' }), intervalMs: 10, onPush: async () => undefined });
    watcher.start();
    watcher.stop();
    release(new Map());
    await new Promise((r) => setTimeout(r, 100));
    // Before the fix, the finished poll scheduled the next one, which kept a stopped server's process alive.
    expect(looks).toBe(1);
  });
});
