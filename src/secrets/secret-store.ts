import { Buffer } from 'node:buffer';
import type { Clock } from '../kernel/clock.js';
import { GantryError } from '../errors/index.js';
import { SecretRepository, type SecretRow } from '../store/repositories/secret-repository.js';
import type { Store } from '../store/store.js';
import { seal, unsealText, type SecretKey } from './crypto.js';
import type { MasterKey } from './master-key.js';
import { MIN_SECRET_LENGTH } from './redactor.js';
import { EnvSecretSource, type SecretSource } from './source.js';

/** The scope every environment can read; any other scope is an environment's name. */
export const SHARED_SCOPE = 'shared';
export const SECRET_NAME_PATTERN = /^[A-Z][A-Z0-9_]*$/;
const SCOPE_PATTERN = /^[a-z][a-z0-9-]*$/;
/** Larger values are files, which do not belong in an environment variable. */
export const MAX_SECRET_BYTES = 32 * 1024;

/** What may be shown of a secret: never its value. */
export interface SecretInfo {
  readonly scope: string;
  readonly name: string;
  readonly version: number;
  readonly createdBy: string;
  readonly createdAt: number;
}

const info = (r: SecretRow): SecretInfo => ({ scope: r.scope, name: r.name, version: r.version, createdBy: r.createdBy, createdAt: r.createdAt });
const slot = (scope: string, name: string): string => `${scope}\u0000${name}`;
/** Binds a ciphertext to its row: moved to another scope, name or version it no longer opens. */
const context = (r: { scope: string; name: string; version: number }): string => `gantry-secret:${r.scope}/${r.name}/v${r.version}`;

export function checkSecretAddress(scope: string, name: string): void {
  if (!SCOPE_PATTERN.test(scope)) throw new GantryError('BAD_REQUEST', `"${scope}" is not a secret scope`, { hint: `Use "${SHARED_SCOPE}" or an environment name (lower case, digits, -).` });
  if (!SECRET_NAME_PATTERN.test(name)) throw new GantryError('BAD_REQUEST', `"${name}" is not a secret name`, { hint: 'Use an upper-case name such as DATABASE_URL.' });
}

/**
 * The encrypted, versioned secret store. Values are sealed with the master key before they reach the
 * database and opened only when a step asks for them; changes are audited by name and version only.
 * The current rows (sealed) are cached: this process is the store's only writer.
 */
export class SecretStore {
  private readonly rows = new Map<string, SecretRow>();
  private keys = new Map<string, SecretKey>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly store: Store, private readonly repo: SecretRepository, private readonly master: MasterKey, private readonly clock: Clock) {
    for (const key of master.keyring) this.keys.set(key.id, key);
  }

  /** Opens the store, finishing a key rotation that a crash interrupted. */
  static async open(store: Store, master: MasterKey, clock: Clock): Promise<SecretStore> {
    const secrets = new SecretStore(store, new SecretRepository(store.db), master, clock);
    if (master.pending) await secrets.rotateKey(master.pending);
    await secrets.reload();
    return secrets;
  }

  list(): SecretInfo[] {
    return [...this.rows.values()].map(info);
  }

  /** Stores a new version; returns what may be shown of it and warnings (a value too short to be masked in logs). */
  set(scope: string, name: string, value: string, by: string): Promise<{ secret: SecretInfo; warnings: string[] }> {
    checkSecretAddress(scope, name);
    if (value.length === 0) throw new GantryError('BAD_REQUEST', `the value of ${name} is empty`, { hint: 'Send the value; use `rm` to remove a secret.' });
    if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_BYTES) throw new GantryError('BAD_REQUEST', `the value of ${name} is larger than ${MAX_SECRET_BYTES} bytes`);
    return this.serial(async () => {
      const now = this.clock.now();
      const version = await this.repo.nextVersion(scope, name);
      const sealed = seal(this.master.key, value, context({ scope, name, version }));
      const row = await this.repo.insert({ scope, name, version, ciphertext: sealed.ciphertext, nonce: sealed.nonce, keyId: sealed.keyId, createdBy: by, createdAt: now });
      this.rows.set(slot(scope, name), row);
      await this.store.events.append('secret.set', by, null, { scope, name, version }, now);
      const warnings = value.trim().length < MIN_SECRET_LENGTH ? [`${name} is shorter than ${MIN_SECRET_LENGTH} characters: logs cannot mask it`] : [];
      return { secret: info(row), warnings };
    });
  }

  /** Removes every version of a secret; false when there was none. */
  rm(scope: string, name: string, by: string): Promise<boolean> {
    checkSecretAddress(scope, name);
    return this.serial(async () => {
      const now = this.clock.now();
      const removed = await this.repo.remove(scope, name, now);
      this.rows.delete(slot(scope, name));
      if (removed === 0) return false;
      const version = (await this.repo.nextVersion(scope, name)) - 1;
      await this.store.events.append('secret.removed', by, null, { scope, name, version }, now);
      return true;
    });
  }

  /**
   * Re-seals every row (old versions and removed ones too) with a new master key, in one transaction,
   * and installs the key. Audited with the key ids (fingerprints), never the key.
   */
  rotateKey(next?: SecretKey, by = 'gantry'): Promise<{ keyId: string; resealed: number }> {
    return this.serial(async () => {
      const previous = this.master.key.id;
      let resealed = 0;
      const installed = await this.master.rotate(async (key) => {
        this.keys.set(key.id, key);
        resealed = await this.repo.reseal((row) => seal(key, this.open(row), context(row)));
      }, next);
      this.keys = new Map([[installed.id, installed]]);
      await this.reload();
      await this.store.events.append('secret.key-rotated', by, null, { from: previous, to: installed.id, resealed }, this.clock.now());
      return { keyId: installed.id, resealed };
    });
  }

  /** The value of a secret in exactly this scope. */
  resolve(scope: string, name: string): string | undefined {
    const row = this.rows.get(slot(scope, name));
    return row ? this.open(row) : undefined;
  }

  /** The current version of a secret in exactly this scope. */
  versionOf(scope: string, name: string): number | undefined {
    return this.rows.get(slot(scope, name))?.version;
  }

  /** Every current value, of every scope: for redaction. */
  allValues(): string[] {
    return [...this.rows.values()].map((r) => this.open(r));
  }

  private open(row: SecretRow): string {
    const key = this.keys.get(row.keyId);
    if (!key) {
      throw new GantryError('CONFLICT', `secret ${row.scope}/${row.name} v${row.version} is sealed with key ${row.keyId}, which this server does not have`, {
        hint: 'Start the server with the master key that sealed it (GANTRY_MASTER_KEY or <data-dir>/master.key).',
      });
    }
    return unsealText(key, { keyId: row.keyId, nonce: row.nonce, ciphertext: row.ciphertext }, context(row));
  }

  private async reload(): Promise<void> {
    this.rows.clear();
    for (const row of await this.repo.current()) this.rows.set(slot(row.scope, row.name), row);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const done = this.queue.then(work);
    this.queue = done.catch(() => undefined);
    return done;
  }
}

/**
 * Secrets for one environment: its own scope first, then `shared`, then `GANTRY_SECRET_<NAME>` of the
 * server's environment (as before the store). Without an environment (a feature-branch gate, a
 * notification channel) only `shared` and the server's environment are read: never an environment's scope.
 */
export class StoreSecretSource implements SecretSource {
  constructor(private readonly store: SecretStore, private readonly fallback: SecretSource = new EnvSecretSource()) {}

  values(names: readonly string[], environment?: string | null): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of names) {
      const value = (environment ? this.store.resolve(environment, name) : undefined) ?? this.store.resolve(SHARED_SCOPE, name) ?? this.fallback.values([name])[name];
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  versions(names: readonly string[], environment?: string | null): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of names) {
      const scope = [environment, SHARED_SCOPE].find((s): s is string => !!s && this.store.versionOf(s, name) !== undefined);
      const version = scope === undefined ? this.fallback.versions([name])[name] : `${scope}/v${this.store.versionOf(scope, name) ?? 0}`;
      if (version !== undefined) out[name] = version;
    }
    return out;
  }

  allValues(): string[] {
    return [...this.store.allValues(), ...this.fallback.allValues()];
  }
}
