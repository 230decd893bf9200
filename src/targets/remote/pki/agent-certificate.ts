import { isIP } from 'node:net';
import * as x509 from './x509.js';
import { fingerprint256, type CertificateAuthority } from './certificate-authority.js';
import { EC_ALGORITHM, generateEcKeys, privateKeyPem } from './key-pem.js';

/** A year: short enough that a lost key expires, long enough that re-issuing is a yearly chore. */
const AGENT_DAYS = 365;

export interface AgentCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** SHA-256 of the certificate (`AB:CD:…`): the control plane refuses an agent that shows another. */
  readonly fingerprint: string;
  readonly notAfter: Date;
}

/**
 * A server certificate for the agent of one host, signed by Gantry's CA: the host's address (IP or
 * DNS name, without port) and its name in gantry.yaml as subject alternative names.
 */
export async function issueAgentCertificate(ca: CertificateAuthority, host: { readonly name: string; readonly address: string }): Promise<AgentCertificate> {
  const keys = await generateEcKeys();
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + AGENT_DAYS * 86_400_000);
  const names: x509.JsonGeneralName[] = [{ type: isIP(host.address) ? 'ip' : 'dns', value: host.address }];
  if (host.name !== host.address) names.push({ type: 'dns', value: host.name });
  const certificate = await x509.X509CertificateGenerator.create({
    subject: `CN=${host.name}`,
    issuer: ca.certificate.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: EC_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = certificate.toString('pem');
  return { certPem, keyPem: await privateKeyPem(keys.privateKey), fingerprint: fingerprint256(certPem), notAfter };
}
