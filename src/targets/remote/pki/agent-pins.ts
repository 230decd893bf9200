import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TargetError } from '../../../errors/index.js';
import { pkiDir, writePrivate } from './certificate-authority.js';

/** What `gantry hosts issue` recorded for one agent: the control plane accepts only this certificate from it. */
export interface AgentPin {
  readonly target: string;
  readonly host: string;
  readonly address: string;
  readonly fingerprint: string;
  readonly issuedAt: string;
  readonly notAfter: string;
}

const pinsFile = (dataDir: string): string => join(pkiDir(dataDir), 'agents.json');
const key = (target: string, host: string): string => `${target}/${host}`;

export async function readPins(dataDir: string): Promise<Record<string, AgentPin>> {
  const file = pinsFile(dataDir);
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, AgentPin>;
  } catch (cause: unknown) {
    throw new TargetError('TARGET_TLS_INVALID', `${file} is not the JSON \`gantry hosts issue\` writes`, { cause, where: file, hint: 'Issue the hosts\' certificates again with `gantry hosts issue`.' });
  }
}

/** Records a newly issued certificate; the one it replaces is no longer accepted. */
export async function recordPin(dataDir: string, pin: AgentPin): Promise<void> {
  const pins = await readPins(dataDir);
  pins[key(pin.target, pin.host)] = pin;
  await mkdir(pkiDir(dataDir), { recursive: true, mode: 0o700 });
  await writePrivate(pinsFile(dataDir), `${JSON.stringify(pins, null, 2)}\n`);
}

/** The pin of a host, or a TARGET_TLS_INVALID that says how to make one. */
export async function pinOf(dataDir: string, target: string, host: string): Promise<AgentPin> {
  const pin = (await readPins(dataDir))[key(target, host)];
  if (pin) return pin;
  throw new TargetError('TARGET_TLS_INVALID', `no certificate was issued for host ${host} of target ${target}`, {
    where: `targets.${target}.hosts`,
    hint: `Run \`gantry hosts issue ${target} ${host} --out <folder>\` on the server and install what it writes on the host.`,
  });
}
