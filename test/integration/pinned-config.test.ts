import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/kernel/clock.js';
import { loadConfigOrThrow } from '../../src/config/loader.js';
import { ConfigAcceptance } from '../../src/engine/config-acceptance.js';
import { PinnedConfig } from '../../src/engine/pinned-config.js';
import type { CommitInfo, RepositoryReader } from '../../src/engine/repository-reader.js';
import { GantryError } from '../../src/errors/index.js';
import { sqliteDialect } from '../../src/store/sqlite/sqlite-dialect.js';
import { Store } from '../../src/store/store.js';
import { TempDirs } from '../support/temp.js';

const CONFIG = `version: 1
project: { name: pinned }
repository: { url: /srv/pinned.git }
services:
  api:
    path: api
    gates:
      - { name: lint, run: echo ok }
environments:
  production:
    branch: main
    approvals: { required: 2 }
`;

/** The two calls acceptance makes of the mirror, over commits held in memory. */
class MemoryReader implements RepositoryReader {
  constructor(readonly files: Map<string, string>) {}
  async resolve(ref: string): Promise<string | undefined> {
    return [...this.files.keys()].find((sha) => sha.startsWith(ref));
  }
  async showFile(sha: string): Promise<string | undefined> {
    return this.files.get(sha);
  }
  treeHash = async (): Promise<undefined> => undefined;
  changedFiles = async (): Promise<string[]> => [];
  mergeBase = async (): Promise<undefined> => undefined;
  isAncestor = async (): Promise<boolean> => false;
  commit = async (sha: string): Promise<CommitInfo> => ({ sha, author: 'a', authorEmail: '', time: 0, message: '' });
  authors = async (): Promise<string[]> => [];
}

const ONE = 'a'.repeat(40);
const BROKEN = 'b'.repeat(40);

describe('the pinned config across starts', () => {
  const temp = new TempDirs();
  let dir: string;
  let file: string;
  let store: Store;
  let now = 1_000;
  const clock = { ...systemClock, now: () => now };
  const logger = pino({ level: 'silent' });
  const reader = new MemoryReader(new Map([[ONE, CONFIG.replace('required: 2', 'required: 1')], [BROKEN, `${CONFIG}nonsense: true\n`]]));

  const start = async (): Promise<PinnedConfig> => {
    now += 1_000;
    return PinnedConfig.load({ store, configPath: file, config: await loadConfigOrThrow(file), clock, logger });
  };
  const kinds = async (): Promise<string[]> => (await store.events.recent(100)).map((e) => e.kind);
  const acceptance = (pinned: PinnedConfig) => new ConfigAcceptance({ pinned, store, reader, refresh: async () => undefined, clock, configPath: 'gantry.yaml' });

  beforeEach(async () => {
    now = 1_000;
    dir = await temp.make();
    file = join(dir, 'gantry.yaml');
    await writeFile(file, CONFIG);
    store = await Store.open(sqliteDialect(join(dir, 'gantry.db')));
  });
  afterEach(async () => {
    await store.close();
    await temp.cleanup();
  });

  it('records the file on the first start and audits nothing until its content changes', async () => {
    const first = await start();
    expect(first.origin).toMatchObject({ source: 'file', file, sha: null, by: 'server', since: 2_000 });
    expect(await kinds()).toEqual([]);
    const again = await start();
    expect(again.origin.since).toBe(2_000);
    expect(await kinds()).toEqual([]);

    await writeFile(file, CONFIG.replace('required: 2', 'required: 3'));
    const changed = await start();
    expect(changed.config.environments.production?.approvals.required).toBe(3);
    const [event] = await store.events.recent(10);
    expect(event).toMatchObject({ kind: 'config.changed', actor: 'server', data: { file, hash: changed.origin.hash, previousHash: first.origin.hash, changes: ['environments.production.approvals.required: 2 → 3'] } });
    await start();
    expect(await kinds()).toEqual(['config.changed']);
  });

  it('keeps accepted rules across a restart, until the file is edited after the acceptance', async () => {
    const pinned = await start();
    now += 1_000;
    const accepted = await acceptance(pinned).accept('aaaa', 'admin', 'two approvers are away');
    expect(accepted).toMatchObject({ accepted: true, sha: ONE, changes: ['environments.production.approvals.required: 2 → 1'] });
    expect(pinned.config.environments.production?.approvals.required).toBe(1);

    const restarted = await start();
    expect(restarted.config.environments.production?.approvals.required).toBe(1);
    expect(restarted.origin).toMatchObject({ source: 'commit', sha: ONE, by: 'admin', reason: 'two approvers are away', since: 3_000 });
    // The server's own settings stay the file's.
    expect(restarted.config.repository.url).toBe('/srv/pinned.git');

    await writeFile(file, CONFIG.replace('required: 2', 'required: 3'));
    const edited = await start();
    expect(edited.origin.source).toBe('file');
    expect(edited.config.environments.production?.approvals.required).toBe(3);
    const changed = (await store.events.recent(10)).find((e) => e.kind === 'config.changed');
    expect(changed?.data).toMatchObject({ supersedes: ONE, changes: ['environments.production.approvals.required: 2 → 3'] });
    expect((await store.events.verify()).ok).toBe(true);
  });

  it('says so and changes nothing for rules equal to those in force, an invalid gantry.yaml or an unknown commit', async () => {
    const pinned = await start();
    const a = acceptance(pinned);
    await a.accept(ONE, 'admin', null);
    const before = pinned.origin;
    expect(await a.accept(ONE, 'admin', null)).toMatchObject({ accepted: false, changes: [] });

    const invalid = await a.accept(BROKEN, 'admin', null).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(GantryError);
    expect(invalid).toMatchObject({ code: 'CONFIG_UNKNOWN_KEY', message: expect.stringMatching(/gantry\.yaml@bbbbbbb:\d+:\d+ CONFIG_UNKNOWN_KEY/) });
    const unknown = await a.accept('cafe', 'admin', null).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'COMMIT_NOT_FOUND' });

    expect(pinned.origin).toEqual(before);
    expect((await start()).origin).toEqual(before);
    expect((await kinds()).filter((k) => k === 'config.guard-change-accepted')).toHaveLength(1);
  });
});
