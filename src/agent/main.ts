import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfigOrThrow } from '../config/loader.js';
import { GantryError } from '../errors/index.js';
import type { Logger } from '../engine/logger.js';
import type { RunAsUser } from '../secrets/run-as.js';
import { Agent } from './agent.js';
import { buildAgentApi } from './api.js';
import { Router } from './router/router.js';
import { servedServices } from './served.js';
import { Supervisor } from './supervisor/supervisor.js';

export interface AgentProcessOptions {
  readonly configPath: string;
  readonly targetName: string;
  readonly dataDir: string;
  readonly host?: string;
  readonly port?: number;
  /** Read the token from here; made (mode 0600) when missing. */
  readonly tokenFile?: string;
  readonly logger: Logger;
  /** Revisions run as this user (see secrets/run-as.ts); left out: as the agent's own. */
  readonly runAs?: RunAsUser | null;
  /** Where revisions are unpacked; default `<dataDir>/revisions`. */
  readonly revisionsDir?: string;
}

export interface RunningAgent {
  readonly url: string;
  readonly agent: Agent;
  close(): Promise<void>;
}

async function loadToken(file: string): Promise<string> {
  if (process.env.GANTRY_AGENT_TOKEN) return process.env.GANTRY_AGENT_TOKEN;
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const token = `gta_${randomBytes(24).toString('base64url')}`;
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return token;
}

/** Stable per data folder: the next agent on it finds the cgroups and markers of what this one left. */
const scopeOf = (dataDir: string): string => createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);

/** GANTRY_CONTAINMENT=marker skips cgroups (a host where making them is not wanted); anything else: auto. */
function containmentChoice(): 'auto' | 'cgroup' | 'marker' {
  const chosen = process.env.GANTRY_CONTAINMENT;
  return chosen === 'marker' || chosen === 'cgroup' ? chosen : 'auto';
}

/** `gantry agent`: the data plane for the environments whose target is `targetName`. */
export async function startAgentProcess(o: AgentProcessOptions): Promise<RunningAgent> {
  const config = await loadConfigOrThrow(o.configPath);
  if (!(o.targetName in config.targets)) {
    throw new GantryError('CONFIG_UNKNOWN_TARGET', `gantry.yaml declares no target "${o.targetName}"`, { hint: `Targets: ${Object.keys(config.targets).join(', ')}.` });
  }
  const served = servedServices(config, o.targetName);
  await mkdir(o.dataDir, { recursive: true, mode: 0o700 });
  const token = await loadToken(o.tokenFile ?? join(o.dataDir, 'agent.token'));
  // The supervisor reports every phase change; the agent (made next) routes by readiness and persists them.
  const holder: { agent?: Agent } = {};
  const supervisor = new Supervisor({ logger: o.logger, onChange: (status) => holder.agent?.processChanged(status), scope: scopeOf(o.dataDir), containment: containmentChoice() });
  const router = new Router({ logger: o.logger });
  const agent = await Agent.start({ served, dataDir: o.dataDir, router, supervisor, logger: o.logger, runAs: o.runAs ?? null, ...(o.revisionsDir ? { revisionsDir: o.revisionsDir } : {}) });
  holder.agent = agent;
  const api = buildAgentApi(agent, token, o.logger);
  await api.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 0 });
  const address = api.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  // Written whole (temp file, rename): the control plane polls for it while the agent starts.
  const recorded = join(o.dataDir, 'agent.json');
  await writeFile(`${recorded}.tmp`, JSON.stringify({ url, pid: process.pid, target: o.targetName }, null, 2));
  await rename(`${recorded}.tmp`, recorded);
  return {
    url,
    agent,
    async close() {
      await api.close();
      await agent.close({ stopRevisions: true });
    },
  };
}
