import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueAgentCertificate } from '../../../src/targets/remote/pki/agent-certificate.js';
import { loadOrCreateCa } from '../../../src/targets/remote/pki/certificate-authority.js';

export interface StandinTls {
  /** The stand-in's own CA: what a kubeconfig's certificate-authority-data carries. */
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * A fresh CA and a server certificate for 127.0.0.1 and localhost signed by it, as a cluster's CA
 * signs the API server's: clients verify the stand-in as they would a real cluster (no
 * insecure-skip-tls-verify). Made with Gantry's own PKI (the one `gantry hosts issue` uses), in a
 * folder removed at once: only the PEMs are kept, in memory.
 */
export async function makeStandinTls(): Promise<StandinTls> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-kube-standin-pki-'));
  try {
    const ca = await loadOrCreateCa(dir);
    const server = await issueAgentCertificate(ca, { name: 'localhost', address: '127.0.0.1' });
    return { caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
