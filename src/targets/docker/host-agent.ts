import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DockerHostConfig } from '../../config/types.js';
import { TargetError } from '../../errors/index.js';
import { AgentClient } from '../agent-client.js';
import type { ServedRoute } from '../local/route-layout.js';
import { pkiDir } from '../remote/pki/certificate-authority.js';
import { pinOf } from '../remote/pki/agent-pins.js';
import { pinnedDispatcher } from '../remote/pinned-dispatcher.js';

/** The agent of one host of a docker target, and where that host's routes are reached. */
export interface HostAgent {
  readonly name: string;
  readonly client: AgentClient;
  /** The address the host's routes listen on, as the control plane reaches it. */
  readonly routeHost: string;
}

/** How long a call to a remote agent is tried again: a worker restart on the host, a brief network cut. */
const REMOTE_RETRY_MS = 5_000;

/** `10.0.0.2:7443` → `10.0.0.2`; `[fd00::2]:7443` → `fd00::2`. */
export const addressHost = (address: string): string => address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');

export interface RemoteHostOptions {
  readonly target: string;
  readonly host: DockerHostConfig;
  /** Gantry's data folder: its pki/ holds the CA and the pins. */
  readonly dataDir: string;
  /** The agent's token from the secret store (host.tokenSecret); undefined when the store has none. */
  readonly token: string | undefined;
  readonly routes?: readonly ServedRoute[];
  /** Observers pass 0: a host that is down is reported, not waited for. */
  readonly retryMs?: number;
}

/**
 * The agent of a remote host, over HTTPS that trusts only Gantry's CA and the certificate pinned
 * for this host (`gantry hosts issue`), with the host's own token.
 */
export async function remoteHostAgent(o: RemoteHostOptions): Promise<HostAgent> {
  const where = `targets.${o.target}.hosts (${o.host.name})`;
  if (o.token === undefined) {
    throw new TargetError('TARGET_ERROR', `the secret ${o.host.tokenSecret} (the token of host ${o.host.name} of target ${o.target}) is not set`, {
      where,
      hint: `\`gantry hosts issue ${o.target} ${o.host.name} --out <folder>\` makes the token and stores it as ${o.host.tokenSecret}.`,
    });
  }
  const pin = await pinOf(o.dataDir, o.target, o.host.name);
  if (pin.address !== o.host.address) {
    throw new TargetError('TARGET_TLS_INVALID', `the certificate of host ${o.host.name} was issued for ${pin.address}, but gantry.yaml gives it ${o.host.address}`, {
      where,
      hint: `Issue it again for the new address: \`gantry hosts issue ${o.target} ${o.host.name} --out <folder>\`.`,
    });
  }
  const ca = await readFile(join(pkiDir(o.dataDir), 'ca.crt'), 'utf8').catch((cause: unknown) => {
    throw new TargetError('TARGET_TLS_INVALID', `Gantry's CA certificate is missing from ${pkiDir(o.dataDir)}`, { cause, where, hint: 'Restore ca.crt from a backup, or issue every host\'s certificate again.' });
  });
  const dispatcher = pinnedDispatcher(ca, pin.fingerprint);
  const url = `https://${o.host.address}`;
  return {
    name: o.host.name,
    routeHost: addressHost(o.host.address),
    client: new AgentClient({
      label: `host ${o.host.name} of target ${o.target}`,
      baseUrl: () => Promise.resolve(url),
      token: o.token,
      dispatcher,
      retryMs: o.retryMs ?? REMOTE_RETRY_MS,
      unreachableHint: `Check that \`gantry agent --listen ${o.host.address}\` runs on ${o.host.name} and that this machine reaches it.`,
      ...(o.routes === undefined ? {} : { routes: o.routes }),
    }),
  };
}
