import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { GantryError } from '../errors/index.js';

export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';

/** A 256-bit key with a short public fingerprint, stored next to every value it sealed. */
export interface SecretKey {
  readonly id: string;
  readonly bytes: Buffer;
}

/** One sealed value: a fresh 96-bit nonce, and the ciphertext with the 128-bit GCM tag appended (both base64). */
export interface Envelope {
  readonly keyId: string;
  readonly nonce: string;
  readonly ciphertext: string;
}

/** The key id: the first 16 hex digits of the key's SHA-256, which says which key sealed a row and nothing of the key. */
export function secretKey(bytes: Buffer): SecretKey {
  if (bytes.length !== KEY_BYTES) {
    throw new GantryError('CONFIG_INVALID_VALUE', `a secret key must be ${KEY_BYTES} bytes, this one has ${bytes.length}`, { hint: 'Make one with `openssl rand -base64 32`.' });
  }
  return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 16), bytes: Buffer.from(bytes) };
}

export const newSecretKey = (): SecretKey => secretKey(randomBytes(KEY_BYTES));

/**
 * AES-256-GCM with a random nonce per value. `context` (scope/name/version for the secret store) is
 * authenticated but not stored in the envelope: a ciphertext moved to another row no longer opens.
 */
export function seal(key: SecretKey, plaintext: string | Buffer, context = ''): Envelope {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(ALGORITHM, key.bytes, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final(), cipher.getAuthTag()]);
  return { keyId: key.id, nonce: nonce.toString('base64'), ciphertext: body.toString('base64') };
}

/** Opens an envelope; a wrong key, another context, or any changed byte is a `CONFLICT` error, never garbage. */
export function unseal(key: SecretKey, envelope: Envelope, context = ''): Buffer {
  const fail = (why: string, cause?: unknown): GantryError =>
    new GantryError('CONFLICT', `a sealed secret cannot be opened: ${why}`, {
      ...(cause === undefined ? {} : { cause }),
      hint: 'The master key does not match the one that sealed it, or the stored value was changed. Restore the right key (GANTRY_MASTER_KEY or <data-dir>/master.key).',
    });
  if (envelope.keyId !== key.id) throw fail(`it was sealed with key ${envelope.keyId}, not ${key.id}`);
  const nonce = Buffer.from(envelope.nonce, 'base64');
  const body = Buffer.from(envelope.ciphertext, 'base64');
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw fail('the envelope is truncated');
  try {
    const decipher = createDecipheriv(ALGORITHM, key.bytes, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
  } catch (cause: unknown) {
    throw fail('authentication failed', cause);
  }
}

export const unsealText = (key: SecretKey, envelope: Envelope, context = ''): string => unseal(key, envelope, context).toString('utf8');
