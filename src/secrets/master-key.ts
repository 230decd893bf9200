import { Buffer } from 'node:buffer';
import { existsSync } from 'node:fs';
import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GantryError } from '../errors/index.js';
import { newSecretKey, secretKey, type SecretKey } from './crypto.js';

export const MASTER_KEY_ENV = 'GANTRY_MASTER_KEY';
export const MASTER_KEY_FILE = 'master.key';
const NEXT_SUFFIX = '.next';

const keyError = (message: string, where: string, hint: string): GantryError => new GantryError('CONFIG_INVALID_VALUE', message, { where, hint });

function decodeKey(text: string, where: string): SecretKey {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || bytes.length !== 32) {
    throw keyError(`the master key in ${where} is not the base64 of 32 bytes`, where, 'Make one with `openssl rand -base64 32`.');
  }
  return secretKey(bytes);
}

/** Reads a key file, refusing one that anybody but its owner can read or write. */
export async function readKeyFile(file: string): Promise<SecretKey> {
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw keyError(`the key file ${file} has mode ${mode.toString(8).padStart(4, '0')}: group or others can reach it`, file, `Run \`chmod 600 ${file}\` (and check who read it), then start again.`);
  }
  return decodeKey(await readFile(file, 'utf8'), file);
}

async function writeKeyFile(file: string, key: SecretKey, flag: 'wx' | 'w'): Promise<void> {
  await writeFile(file, `${key.bytes.toString('base64')}\n`, { mode: 0o600, flag });
  await chmod(file, 0o600);
}

/** The key in `file`, made (mode 0600) when there is none yet. */
export async function loadOrCreateKeyFile(file: string): Promise<SecretKey> {
  if (!existsSync(file)) {
    try {
      await writeKeyFile(file, newSecretKey(), 'wx');
    } catch (error: unknown) {
      // Another process made it first: use that one.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return readKeyFile(file);
}

/**
 * The master key of the secret store: `GANTRY_MASTER_KEY` (base64 of 32 bytes) or `<data-dir>/master.key`.
 * `pending` is a key a rotation wrote but did not finish installing (a crash in between): the store
 * may be sealed with either, and the rotation is completed at start.
 */
export class MasterKey {
  private constructor(
    private current: SecretKey,
    private next: SecretKey | undefined,
    private readonly file: string | undefined,
  ) {}

  static async load(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<MasterKey> {
    const fromEnv = env[MASTER_KEY_ENV];
    if (fromEnv !== undefined && fromEnv !== '') return new MasterKey(decodeKey(fromEnv, MASTER_KEY_ENV), undefined, undefined);
    const file = join(dataDir, MASTER_KEY_FILE);
    const current = await loadOrCreateKeyFile(file);
    const next = `${file}${NEXT_SUFFIX}`;
    return new MasterKey(current, existsSync(next) ? await readKeyFile(next) : undefined, file);
  }

  get pending(): SecretKey | undefined {
    return this.next;
  }

  get key(): SecretKey {
    return this.current;
  }

  /** Every key the store may be sealed with right now. */
  get keyring(): SecretKey[] {
    return this.next ? [this.current, this.next] : [this.current];
  }

  /**
   * Replaces the key: the new one is written beside the old first, then `reseal` re-encrypts the store
   * with it (one transaction), and only then does it take the old one's place. A crash at any point
   * leaves a key that opens every row.
   */
  async rotate(reseal: (next: SecretKey) => Promise<void>, next: SecretKey = this.next ?? newSecretKey()): Promise<SecretKey> {
    const file = this.file;
    if (!file) {
      throw new GantryError('CONFLICT', `the master key comes from ${MASTER_KEY_ENV}, which Gantry cannot replace`, {
        hint: `Remove ${MASTER_KEY_ENV} to let Gantry keep the key in <data-dir>/${MASTER_KEY_FILE}, then rotate.`,
      });
    }
    await writeKeyFile(`${file}${NEXT_SUFFIX}`, next, 'w');
    await reseal(next);
    await rename(`${file}${NEXT_SUFFIX}`, file);
    this.current = next;
    this.next = undefined;
    return next;
  }

}
