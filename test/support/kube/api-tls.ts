import * as x509 from '../../../src/targets/remote/pki/x509.js';
import { EC_ALGORITHM, generateEcKeys, privateKeyPem } from '../../../src/targets/remote/pki/key-pem.js';
import '../../../src/targets/remote/pki/certificate-authority.js'; // sets @peculiar/x509's crypto provider to Node's WebCrypto

export interface StandinTls {
  /** The stand-in's own CA: what a kubeconfig's certificate-authority-data carries. */
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * A fresh CA and a server certificate for 127.0.0.1 and localhost signed by it, in memory, as a
 * cluster's CA signs the API server's: clients verify the stand-in as they would a real cluster
 * (no insecure-skip-tls-verify), with Gantry's own x509 helpers.
 */
export async function makeStandinTls(): Promise<StandinTls> {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + 86_400_000);
  const caKeys = await generateEcKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=gantry-kube-standin-ca',
    keys: caKeys,
    notBefore,
    notAfter,
    signingAlgorithm: EC_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = await generateEcKeys();
  const cert = await x509.X509CertificateGenerator.create({
    subject: 'CN=kube-apiserver',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: EC_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  return { caPem: ca.toString('pem'), certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}
