import { Buffer } from 'node:buffer';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { filesUnder, findSecrets } from '../support/sweep-search.js';
import { TempDirs } from '../support/temp.js';

// These values are planted on purpose, to prove the sweep finds them: they are not registered for it.
const VALUE = 'sweep-probe pa55/word+=';
const QUOTED = 'sweep "quoted" probe';

describe('the secret sweep search', () => {
  const temp = new TempDirs();
  afterAll(() => temp.cleanup());

  it('finds a value plain, base64, URL-encoded or JSON-escaped, in nested files and in a SQLite database', async () => {
    const dir = await temp.make();
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    await writeFile(join(dir, 'a', 'plain.log'), `line with ${VALUE} in it\n`);
    await writeFile(join(dir, 'a', 'b', 'basic.txt'), `Authorization: Basic ${Buffer.from(VALUE).toString('base64').replace(/=+$/, '')}`);
    await writeFile(join(dir, 'a', 'b', 'query.txt'), `GET /?key=${encodeURIComponent(VALUE)}`);
    await writeFile(join(dir, 'json.log'), JSON.stringify({ msg: `password ${QUOTED}` }));
    await writeFile(join(dir, 'clean.txt'), 'nothing to see');
    const db = new BetterSqlite3(join(dir, 'gantry.db'));
    db.exec('CREATE TABLE t (v TEXT)');
    db.prepare('INSERT INTO t VALUES (?)').run(`payload ${VALUE}`);
    db.close();

    const files = await filesUnder(dir);
    expect(files).toHaveLength(6);
    const { hits, bytes } = await findSecrets(files, [VALUE, QUOTED, 'never-written-anywhere']);
    expect(bytes).toBeGreaterThan(0);
    const found = (name: string) => hits.filter((h) => h.file.endsWith(name)).map((h) => h.how);
    expect(found('plain.log')).toContain('plain');
    expect(found('basic.txt')).toEqual(['base64 without padding']);
    expect(found('query.txt')).toEqual(['URL-encoded']);
    expect(found('json.log')).toEqual(['JSON-escaped']);
    expect(found('gantry.db')).toContain('plain');
    expect(found('clean.txt')).toEqual([]);
    expect(hits.some((h) => h.value === 'never-written-anywhere')).toBe(false);
  });
});
