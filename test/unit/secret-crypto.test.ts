import { Buffer } from 'node:buffer';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentStateFile, type PersistedService } from '../../src/agent/state-file.js';
import { GantryError } from '../../src/errors/index.js';
import { newSecretKey, seal, unseal, unsealText, type Envelope } from '../../src/secrets/crypto.js';
import { loadOrCreateKeyFile, MASTER_KEY_ENV, MasterKey, readKeyFile } from '../../src/secrets/master-key.js';
import { TempDirs } from '../support/temp.js';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

/** Flips one bit of a base64 field at a byte offset (negative: from the end). */
function flip(field: string, at: number): string {
  const bytes = Buffer.from(field, 'base64');
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = (bytes[i] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

function expectRejected(open: () => unknown): void {
  let caught: unknown;
  try {
    open();
  } catch (error: unknown) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(GantryError);
  expect((caught as GantryError).code).toBe('CONFLICT');
}

describe('the AES-256-GCM envelope', () => {
  it('round-trips a value, with a fresh nonce each time', () => {
    const key = newSecretKey();
    const a = seal(key, 'p4ssw0rd-ünïcode', 'ctx');
    const b = seal(key, 'p4ssw0rd-ünïcode', 'ctx');
    expect(unsealText(key, a, 'ctx')).toBe('p4ssw0rd-ünïcode');
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(Buffer.from(a.nonce, 'base64')).toHaveLength(12);
    expect(a.keyId).toBe(key.id);
    expect(a.ciphertext).not.toContain(Buffer.from('p4ssw0rd').toString('base64'));
  });

  it('rejects a tampered ciphertext, tag or nonce', () => {
    const key = newSecretKey();
    const env = seal(key, 'a secret value', 'ctx');
    expectRejected(() => unseal(key, { ...env, ciphertext: flip(env.ciphertext, 0) }, 'ctx'));
    expectRejected(() => unseal(key, { ...env, ciphertext: flip(env.ciphertext, -1) }, 'ctx'));
    expectRejected(() => unseal(key, { ...env, nonce: flip(env.nonce, 0) }, 'ctx'));
    expectRejected(() => unseal(key, { ...env, ciphertext: Buffer.from(env.ciphertext, 'base64').subarray(0, 8).toString('base64') }, 'ctx'));
  });

  it('rejects another key, even one that claims the right id, and another context', () => {
    const key = newSecretKey();
    const env: Envelope = seal(key, 'a secret value', 'prod/DB/v1');
    const other = newSecretKey();
    expectRejected(() => unseal(other, env, 'prod/DB/v1'));
    expectRejected(() => unseal({ id: key.id, bytes: other.bytes }, env, 'prod/DB/v1'));
    expectRejected(() => unseal(key, env, 'dev/DB/v1'));
  });
});

describe('key files', () => {
  it('are made with mode 0600 on first use and read back the same key', async () => {
    const dir = await temp.make();
    const file = join(dir, 'state.key');
    const made = await loadOrCreateKeyFile(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64')).toHaveLength(32);
    expect((await loadOrCreateKeyFile(file)).id).toBe(made.id);
  });

  it('refuse a key file that group or others can read', async () => {
    const dir = await temp.make();
    const file = join(dir, 'master.key');
    await loadOrCreateKeyFile(file);
    await chmod(file, 0o644);
    await expect(readKeyFile(file)).rejects.toMatchObject({ code: 'CONFIG_INVALID_VALUE', message: expect.stringContaining('0644') as unknown });
    await expect(MasterKey.load(dir, {})).rejects.toBeInstanceOf(GantryError);
  });

  it('take GANTRY_MASTER_KEY first, and refuse one that is not 32 bytes of base64', async () => {
    const dir = await temp.make();
    const key = newSecretKey();
    const master = await MasterKey.load(dir, { [MASTER_KEY_ENV]: key.bytes.toString('base64') });
    expect(master.key.id).toBe(key.id);
    await expect(MasterKey.load(dir, { [MASTER_KEY_ENV]: 'c2hvcnQ=' })).rejects.toMatchObject({ code: 'CONFIG_INVALID_VALUE' });
    await writeFile(join(dir, 'master.key'), 'not base64!\n', { mode: 0o600 });
    await expect(MasterKey.load(dir, {})).rejects.toMatchObject({ code: 'CONFIG_INVALID_VALUE' });
  });
});

describe('the agent state file', () => {
  const services = (env: Record<string, string>, secretKeys: readonly string[] = []): PersistedService[] => [
    {
      environment: 'production',
      service: 'api',
      weights: { main: { '3': 100 }, preview: {} },
      revisions: [{ spec: { environment: 'production', service: 'api', revision: 3, release: 'abc', artifact: { digest: 'sha256:00', ref: 'oci-layout:/x@sha256:00' }, command: 'node index.js', env, secretKeys, replicas: 1, health: { path: '/health', expectStatus: 200, intervalMs: 500, timeoutMs: 1000 } }, ports: [4100], pids: [123] }],
    },
  ];
  /** The same services as an agent wrote them before `secretKeys` existed. */
  const withoutSecretKeys = (list: PersistedService[]): unknown[] =>
    list.map((s) => ({ ...s, revisions: s.revisions.map((r) => ({ ...r, spec: Object.fromEntries(Object.entries(r.spec).filter(([k]) => k !== 'secretKeys')) })) }));

  it('keeps revision env values sealed on disk and reads them back', async () => {
    const dir = await temp.make();
    const file = join(dir, 'state.json');
    const key = await loadOrCreateKeyFile(join(dir, 'state.key'));
    await new AgentStateFile(file, key).write(services({ DB_PASSWORD: 'hunter2-production-pw', LOG_LEVEL: 'info' }, ['DB_PASSWORD']));
    const raw = await readFile(file, 'utf8');
    expect(raw).not.toContain('hunter2-production-pw');
    expect(raw).not.toContain(Buffer.from('hunter2-production-pw').toString('base64'));
    expect(JSON.parse(raw)).toMatchObject({ services: [{ revisions: [{ spec: { revision: 3, env: {}, secretKeys: ['DB_PASSWORD'] }, pids: [123] }] }] });
    expect(await new AgentStateFile(file, key).read()).toEqual(services({ DB_PASSWORD: 'hunter2-production-pw', LOG_LEVEL: 'info' }, ['DB_PASSWORD']));
    await expect(new AgentStateFile(file, newSecretKey()).read()).rejects.toBeInstanceOf(GantryError);
  });

  it('still loads a plain state file written before sealing existed', async () => {
    const dir = await temp.make();
    const file = join(dir, 'state.json');
    await writeFile(file, JSON.stringify({ version: 1, services: withoutSecretKeys(services({ A: 'plain-old-value' })) }));
    expect(await new AgentStateFile(file, newSecretKey()).read()).toEqual(services({ A: 'plain-old-value' }, ['A']));
  });

  it('loads a sealed state file written before secretKeys existed, taking every env value for a secret', async () => {
    const dir = await temp.make();
    const file = join(dir, 'state.json');
    const key = await loadOrCreateKeyFile(join(dir, 'state.key'));
    const env = { DB_PASSWORD: 'hunter2-production-pw', LOG_LEVEL: 'info' };
    // Written by this code, then the field taken out again: what an agent of the previous version left.
    await new AgentStateFile(file, key).write(services(env, ['DB_PASSWORD']));
    const old = JSON.parse(await readFile(file, 'utf8')) as { version: number; services: PersistedService[] };
    await writeFile(file, JSON.stringify({ ...old, services: withoutSecretKeys(old.services) }));
    expect(await readFile(file, 'utf8')).not.toContain('secretKeys');

    const loaded = await new AgentStateFile(file, key).read();
    expect(loaded).toEqual(services(env, ['DB_PASSWORD', 'LOG_LEVEL']));
    // Written back, the file has the field from then on.
    await new AgentStateFile(file, key).write(loaded);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ services: [{ revisions: [{ spec: { secretKeys: ['DB_PASSWORD', 'LOG_LEVEL'] } }] }] });
  });
});
