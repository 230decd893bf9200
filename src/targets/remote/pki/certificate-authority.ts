import { X509Certificate as NodeCertificate, webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from './x509.js';
import { TargetError } from '../../../errors/index.js';
import { EC_ALGORITHM, generateEcKeys, importPrivateKeyPem, privateKeyPem } from './key-pem.js';

// Node's WebCrypto is a full implementation; the library's type is the DOM's Crypto, which tsconfig does not load.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Ten years: the CA outlives the agent certificates it signs, which are re-issued with `gantry hosts issue`. */
const CA_YEARS = 10;

export interface CertificateAuthority {
  readonly certPem: string;
  readonly certificate: x509.X509Certificate;
  readonly signingKey: webcrypto.CryptoKey;
}

/** The folder of Gantry's data dir holding the CA, and the pins of the agent certificates it issued. */
export const pkiDir = (dataDir: string): string => join(dataDir, 'pki');

/** Written through a temp file and renamed: a reader never sees half a key. */
export async function writePrivate(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text, { mode: 0o600 });
  await chmod(`${file}.tmp`, 0o600);
  await rename(`${file}.tmp`, file);
}

/**
 * The CA of this Gantry, made on first use in `<dataDir>/pki` (ca.key mode 0600, the folder 0700):
 * every remote agent's certificate is signed by it, and the control plane trusts only it.
 */
export async function loadOrCreateCa(dataDir: string): Promise<CertificateAuthority> {
  const dir = pkiDir(dataDir);
  const certFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'ca.key');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const certPem = await readFile(certFile, 'utf8');
    try {
      return { certPem, certificate: new x509.X509Certificate(certPem), signingKey: await importPrivateKeyPem(await readFile(keyFile, 'utf8')) };
    } catch (cause: unknown) {
      throw new TargetError('TARGET_TLS_INVALID', `the Gantry CA in ${dir} cannot be read`, { cause, where: dir, hint: 'Restore ca.crt and ca.key from a backup; a new CA would need every agent certificate issued again.' });
    }
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keys = await generateEcKeys();
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + CA_YEARS * 365 * 86_400_000);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=Gantry agent CA',
    keys,
    notBefore,
    notAfter,
    signingAlgorithm: EC_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = certificate.toString('pem');
  await writePrivate(keyFile, await privateKeyPem(keys.privateKey));
  await writeFile(certFile, certPem, { mode: 0o644 });
  return { certPem, certificate, signingKey: keys.privateKey };
}

/** The SHA-256 fingerprint as Node's TLS peer certificate reports it (`AB:CD:…`), what pins compare. */
export const fingerprint256 = (pem: string): string => new NodeCertificate(pem).fingerprint256;
