import { webcrypto } from 'node:crypto';
import { PemConverter } from './x509.js';

/** ECDSA on P-256 with SHA-256: small keys, fast handshakes, accepted by every TLS stack Node uses. */
export const EC_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A P-256 key pair whose private half can be written out (PKCS #8) once. */
export function generateEcKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify']);
}

export async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** The CA's signing key back from its PEM file. */
export function importPrivateKeyPem(pem: string): Promise<webcrypto.CryptoKey> {
  const der = PemConverter.decode(pem)[0];
  if (der === undefined) throw new Error('no PEM block in the key file');
  return webcrypto.subtle.importKey('pkcs8', der, EC_ALGORITHM, false, ['sign']);
}
