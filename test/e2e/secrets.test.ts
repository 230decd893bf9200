import { runCli } from '../support/cli.js';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GantryError } from '../../src/errors/index.js';
import { unseal, type SecretKey } from '../../src/secrets/crypto.js';
import { readKeyFile } from '../../src/secrets/master-key.js';
import { SecretRepository } from '../../src/store/repositories/secret-repository.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { registerSecret } from '../support/sweep.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';


const CONFIG = `version: 1
project:
  name: secrets-test
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: lint
        run: sh lint.sh
environments:
  dev:
    branch: develop
  production:
    branch: main
`;

/** Has a slash, a space, a plus and an equals sign, so its URL encoding differs from it. */
// Registered for the global secret sweep (test/support/sweep.ts), like every value set below.
const VALUE = registerSecret('pr0d/DB pa55+word=Zq9xK!');
const SECOND = registerSecret('pr0d-second-V4lue-7hJ2');
const SHARED = registerSecret('shared-fallback-value');
const DEV_TOKEN = registerSecret('dev-only-token-1');
const REFUSED = registerSecret('prod-token-xyz');

const gantry = runCli;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

const formsOf = (value: string): string[] => [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('base64').replace(/=+$/, ''), Buffer.from(value).toString('base64url'), encodeURIComponent(value)];

/** Every file under the data dir (the database, its WAL and journal files included) whose raw bytes hold a form of the value. */
async function filesHolding(dir: string, value: string): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await filesUnder(dir)) {
    const bytes = await readFile(file);
    for (const form of formsOf(value)) if (bytes.includes(Buffer.from(form, 'utf8'))) hits.push(`${file} (${form})`);
  }
  return hits;
}

describe('the encrypted secret store', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let env: Record<string, string>;

  const api = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => {
    const res = await t.server.app.inject({ method, url, headers: { authorization: `Bearer ${t.token}` }, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, text: res.body, json: () => res.json<Record<string, unknown>>() };
  };

  beforeAll(async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/lint.sh': 'echo lint ok\n' });
    t = await startTestServer(root, repo, CONFIG);
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
  });
  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  it('takes a value from stdin through the built CLI and keeps it nowhere in plain text', async () => {
    const set = await gantry(['secrets', 'set', 'production', 'DB_PASSWORD'], env, `${VALUE}\n`);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('production/DB_PASSWORD is now version 1');
    expect(set.stdout).not.toContain(VALUE);

    expect(t.server.secrets.values(['DB_PASSWORD'], 'production')).toEqual({ DB_PASSWORD: VALUE });
    expect(await filesHolding(t.dataDir, VALUE)).toEqual([]);

    const list = await gantry(['secrets', 'list', '--output', 'json'], env);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ secrets: [{ scope: 'production', name: 'DB_PASSWORD', version: 1, createdBy: 'admin' }] });
    const listed = await api('GET', '/api/v1/secrets');
    for (const form of formsOf(VALUE)) expect(listed.text).not.toContain(form);

    const audit = await api('GET', '/api/v1/audit');
    for (const form of formsOf(VALUE)) expect(audit.text).not.toContain(form);
    const events = (audit.json().events as Array<{ kind: string; data: unknown }>).filter((e) => e.kind.startsWith('secret.'));
    expect(events).toEqual([expect.objectContaining({ kind: 'secret.set', data: { scope: 'production', name: 'DB_PASSWORD', version: 1 } })]);
  });

  it('never lets a dev run read a production secret', async () => {
    expect(t.server.secrets.values(['DB_PASSWORD'], 'dev')).toEqual({});
    expect(t.server.secrets.values(['DB_PASSWORD'])).toEqual({});
    expect((await gantry(['secrets', 'set', 'shared', 'DB_PASSWORD'], env, SHARED)).code).toBe(0);
    expect(t.server.secrets.values(['DB_PASSWORD'], 'dev')).toEqual({ DB_PASSWORD: SHARED });
    expect(t.server.secrets.values(['DB_PASSWORD'], 'production')).toEqual({ DB_PASSWORD: VALUE });
    expect(t.server.secrets.allValues()).toEqual(expect.arrayContaining([VALUE, SHARED]));
  });

  it('counts versions up on every set, and rm hides the secret', async () => {
    const second = await gantry(['secrets', 'set', 'production', 'DB_PASSWORD', '--output', 'json'], env, SECOND);
    expect(JSON.parse(second.stdout)).toMatchObject({ secret: { scope: 'production', name: 'DB_PASSWORD', version: 2 } });
    expect(t.server.secrets.values(['DB_PASSWORD'], 'production')).toEqual({ DB_PASSWORD: SECOND });

    const rm = await gantry(['secrets', 'rm', 'production', 'DB_PASSWORD'], env);
    expect(rm.code).toBe(0);
    expect(t.server.secrets.values(['DB_PASSWORD'], 'production')).toEqual({ DB_PASSWORD: SHARED });
    const listed = (await api('GET', '/api/v1/secrets')).json().secrets as Array<{ scope: string }>;
    expect(listed.map((s) => s.scope)).toEqual(['shared']);
    expect((await api('DELETE', '/api/v1/secrets/production/DB_PASSWORD')).status).toBe(404);

    const third = await gantry(['secrets', 'set', 'production', 'DB_PASSWORD', '--output', 'json'], env, VALUE);
    expect(JSON.parse(third.stdout)).toMatchObject({ secret: { version: 3 } });
    expect(await filesHolding(t.dataDir, VALUE)).toEqual([]);
    expect(await filesHolding(t.dataDir, SECOND)).toEqual([]);
  });

  it('refuses bad input without echoing the value, and a value on the command line', async () => {
    const bad = await t.server.app.inject({ method: 'PUT', url: '/api/v1/secrets/production/DB_PASSWORD', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' }, payload: `{"value": ${VALUE}` });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('pa55');
    expect((await api('PUT', '/api/v1/secrets/staging/DB_PASSWORD', { value: VALUE })).json()).toMatchObject({ code: 'UNKNOWN_ENVIRONMENT' });
    expect((await api('PUT', '/api/v1/secrets/production/lower', { value: VALUE })).json()).toMatchObject({ code: 'BAD_REQUEST' });
    const argv = await gantry(['secrets', 'set', 'production', 'DB_PASSWORD', VALUE], env);
    expect(argv.code).toBe(2);
    expect(argv.stderr).not.toContain(VALUE);
  });

  it('refuses a deployer of another environment, and rotation to anyone but an admin', async () => {
    // (deployer:<scope> on its own scope is allowed by the route; the server-wide role table, src/server/authorization.ts,
    // decides first, and keeps routes it does not list to admins.)
    const created = await api('POST', '/api/v1/tokens', { user: 'dana', roles: ['deployer:dev'] });
    const dana = (created.json() as { token: string }).token;
    const asDana = (method: 'PUT' | 'POST', url: string, payload?: object) => t.server.app.inject({ method, url, headers: { authorization: `Bearer ${dana}` }, ...(payload ? { payload } : {}) });
    const refused = await asDana('PUT', '/api/v1/secrets/production/TOKEN', { value: REFUSED });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).not.toContain(REFUSED);
    expect((await asDana('POST', '/api/v1/secrets/rotate-key')).statusCode).toBe(403);
    expect(t.server.secrets.values(['TOKEN'], 'production')).toEqual({});
    expect((await api('PUT', '/api/v1/secrets/dev/TOKEN', { value: DEV_TOKEN })).status).toBe(200);
  });

  it('rotates the master key: every row re-encrypted, the old key opens none, values still resolve', async () => {
    const repo = new SecretRepository(t.server.store.db);
    const oldKey: SecretKey = await readKeyFile(join(t.dataDir, 'master.key'));
    const before = await repo.all();
    expect(before.every((r) => r.keyId === oldKey.id)).toBe(true);

    const rotated = await gantry(['secrets', 'rotate-key', '--output', 'json'], env);
    expect(rotated.code).toBe(0);
    const { keyId, resealed } = JSON.parse(rotated.stdout) as { keyId: string; resealed: number };
    expect(resealed).toBe(before.length);

    const newKey = await readKeyFile(join(t.dataDir, 'master.key'));
    expect(newKey.id).toBe(keyId);
    expect(newKey.id).not.toBe(oldKey.id);
    const after = await repo.all();
    for (const row of after) {
      expect(row.keyId).toBe(newKey.id);
      const envelope = { keyId: oldKey.id, nonce: row.nonce, ciphertext: row.ciphertext };
      expect(() => unseal(oldKey, envelope, `gantry-secret:${row.scope}/${row.name}/v${row.version}`)).toThrow(GantryError);
    }
    expect(t.server.secrets.values(['DB_PASSWORD'], 'production')).toEqual({ DB_PASSWORD: VALUE });
    expect(t.server.secrets.values(['TOKEN'], 'dev')).toEqual({ TOKEN: DEV_TOKEN });
    const audit = await api('GET', '/api/v1/audit');
    expect(audit.text).toContain('secret.key-rotated');
    expect(audit.text).not.toContain(newKey.bytes.toString('base64'));
  });

  it('leaves no value in plain text under the data dir once the server has stopped', async () => {
    await t.close();
    for (const value of [VALUE, SECOND, SHARED, DEV_TOKEN]) expect(await filesHolding(t.dataDir, value)).toEqual([]);
  });
});
