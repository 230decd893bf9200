import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DockerHostConfig, GantryConfig } from '../../config/types.js';
import { TargetError } from '../../errors/index.js';
import { addressHost } from '../docker/host-agent.js';
import { issueAgentCertificate } from './pki/agent-certificate.js';
import { recordPin, type AgentPin } from './pki/agent-pins.js';
import { loadOrCreateCa } from './pki/certificate-authority.js';

/** The files `gantry hosts issue` writes for one host, all mode 0600. */
export const HOST_FILES = { cert: 'agent.crt', key: 'agent.key', ca: 'ca.crt', token: 'agent.token' } as const;

export interface IssuedHost {
  readonly pin: AgentPin;
  readonly tokenSecret: string;
  readonly folder: string;
  readonly files: readonly string[];
  /** What to run on the host, with the files copied to `remoteDir` there. */
  readonly command: string;
}

/** The host `name` of docker target `target` in gantry.yaml, or an error listing what there is. */
export function findHost(config: GantryConfig, target: string, name: string): DockerHostConfig {
  const spec = config.targets[target];
  if (spec?.kind !== 'docker' || spec.hosts.length === 0) {
    const candidates = Object.values(config.targets).filter((t) => t.kind === 'docker' && t.hosts.length > 0).map((t) => t.name);
    throw new TargetError('CONFIG_UNKNOWN_TARGET', `gantry.yaml has no docker target "${target}" with hosts`, { where: `targets.${target}`, hint: candidates.length ? `Targets with hosts: ${candidates.join(', ')}.` : 'Declare one: targets.<name>: { kind: docker, hosts: [{ name, address, tokenSecret }] }.' });
  }
  const host = spec.hosts.find((h) => h.name === name);
  if (!host) throw new TargetError('CONFIG_UNKNOWN_TARGET', `target ${target} lists no host "${name}"`, { where: `targets.${target}.hosts`, hint: `Its hosts: ${spec.hosts.map((h) => h.name).join(', ')}.` });
  return host;
}

async function writePrivateFile(file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
}

/**
 * Issues the certificate and token of one host: signs a certificate for its address with the CA
 * (made on first use), makes a fresh token, hands the token to `storeToken` (the server's secret
 * store) before anything is written, then writes the files and records the pin. The previous
 * certificate of the host is no longer accepted once the pin is recorded.
 */
export async function issueHost(o: {
  readonly config: GantryConfig;
  readonly dataDir: string;
  readonly target: string;
  readonly host: string;
  readonly out: string;
  readonly storeToken: (secret: string, token: string) => Promise<void>;
  readonly remoteDir?: string;
}): Promise<IssuedHost> {
  const host = findHost(o.config, o.target, o.host);
  const ca = await loadOrCreateCa(o.dataDir);
  const issued = await issueAgentCertificate(ca, { name: host.name, address: addressHost(host.address) });
  const token = `gta_${randomBytes(24).toString('base64url')}`;
  await o.storeToken(host.tokenSecret, token);
  const folder = resolve(o.out);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await writePrivateFile(join(folder, HOST_FILES.cert), issued.certPem);
  await writePrivateFile(join(folder, HOST_FILES.key), issued.keyPem);
  await writePrivateFile(join(folder, HOST_FILES.ca), ca.certPem);
  await writePrivateFile(join(folder, HOST_FILES.token), `${token}\n`);
  const pin: AgentPin = { target: o.target, host: host.name, address: host.address, fingerprint: issued.fingerprint, issuedAt: new Date().toISOString(), notAfter: issued.notAfter.toISOString() };
  await recordPin(o.dataDir, pin);
  const dir = o.remoteDir ?? '/etc/gantry-agent';
  const command = [
    'gantry agent',
    `--target ${o.target}`,
    `--listen ${host.address}`,
    `--tls-cert ${dir}/${HOST_FILES.cert}`,
    `--tls-key ${dir}/${HOST_FILES.key}`,
    `--token-file ${dir}/${HOST_FILES.token}`,
    `--route-host ${addressHost(host.address)}`,
    '--runtime docker --docker-host unix:///var/run/docker.sock',
    '--data-dir /var/lib/gantry-agent',
  ].join(' ');
  return { pin, tokenSecret: host.tokenSecret, folder, files: Object.values(HOST_FILES), command };
}
