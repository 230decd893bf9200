import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { environmentTargets } from '../../config/environment-placements.js';
import type { GantryConfig } from '../../config/types.js';
import type { Logger } from '../../kernel/logger.js';
import { TargetError } from '../../errors/index.js';
import type { SecretSource } from '../../secrets/source.js';
import type { TrafficSource } from '../target.js';
import type { TargetKind } from '../target-kind.js';
import { AgentLauncher } from './agent-launcher.js';
import { STOPPED_MARKER } from './agent-probe.js';
import { LocalTarget } from './local-target.js';
import { routeLayout } from './route-layout.js';
import { stopAgentProcesses, type LeftoverStopper } from './stop-agents.js';

export interface LocalTargetsOptions {
  readonly config: GantryConfig;
  readonly configPath: string;
  /** Each target's agent gets its own folder (and token) below this. */
  readonly dataDir: string;
  readonly secrets: SecretSource;
  readonly logger: Logger;
  /** The user revisions run as (the server is root); null or left out: the agent's own. */
  readonly runAs?: string | null;
  /** Each target's revisions go below this folder, by target name (outside the data folder). */
  readonly revisionsDir?: (target: string) => string;
  /** Stops what an agent that is gone left running, when every agent is stopped (the agent package's). */
  readonly stopLeftovers?: LeftoverStopper;
}

/**
 * The `local` kind: the local targets of gantry.yaml, each one agent process (with its own token)
 * that Gantry starts when needed. The agent's router counts each revision's requests, so a local
 * target is its own traffic source.
 */
export class LocalTargets implements TargetKind {
  readonly kind = 'local';
  private readonly launchers = new Map<string, AgentLauncher>();
  private readonly targets = new Map<string, LocalTarget>();

  constructor(private readonly o: LocalTargetsOptions) {}

  async get(name: string): Promise<LocalTarget> {
    const known = this.targets.get(name);
    if (known) return known;
    const spec = this.o.config.targets[name];
    if (!spec) throw new TargetError('CONFIG_UNKNOWN_TARGET', `gantry.yaml declares no target "${name}"`);
    if (spec.kind !== 'local') {
      throw new TargetError('TARGET_ERROR', `target ${name} is of kind ${spec.kind}, which this version cannot deploy to`, { hint: 'Use a local target; the Kubernetes target implements the same contract in a later version.' });
    }
    const token = spec.tokenSecret ? this.o.secrets.values([spec.tokenSecret])[spec.tokenSecret] : undefined;
    const launcher = new AgentLauncher({
      targetName: name,
      configPath: this.o.configPath,
      dataDir: join(this.o.dataDir, name),
      port: spec.port,
      token,
      logger: this.o.logger,
      runAs: this.o.runAs ?? null,
      ...(this.o.revisionsDir ? { revisionsDir: this.o.revisionsDir(name) } : {}),
    });
    const target = new LocalTarget(name, () => launcher.ensure(), await launcher.token, () => launcher.invalidate(), undefined, routeLayout(this.o.config, name));
    this.launchers.set(name, launcher);
    this.targets.set(name, target);
    return target;
  }

  traffic(name: string): Promise<TrafficSource> {
    return this.get(name);
  }

  observeTraffic(name: string): Promise<TrafficSource | undefined> {
    return this.observe(name);
  }

  /**
   * The target of an agent that already runs, talking to it directly: for observers (metrics) that
   * must never start an agent. Undefined when the target's agent was never started.
   */
  async observe(name: string): Promise<LocalTarget | undefined> {
    const record = join(this.o.dataDir, name, 'agent.json');
    const tokenFile = join(this.o.dataDir, name, 'agent.token');
    if (!existsSync(record) || !existsSync(tokenFile)) return undefined;
    const { url } = JSON.parse(await readFile(record, 'utf8')) as { url: string };
    const spec = this.o.config.targets[name];
    const fromSecret = spec?.kind === 'local' && spec.tokenSecret ? this.o.secrets.values([spec.tokenSecret])[spec.tokenSecret] : undefined;
    return new LocalTarget(name, () => Promise.resolve(url), fromSecret ?? (await readFile(tokenFile, 'utf8')).trim(), () => undefined, 0);
  }

  /** The local targets of gantry.yaml, each with the environments it serves: what the agent watch looks at. */
  localTargets(): Array<{ name: string; environments: string[] }> {
    const { targets, environments } = this.o.config;
    return Object.entries(targets)
      .filter(([, spec]) => spec.kind === 'local')
      .map(([name]) => ({ name, environments: Object.values(environments).filter((e) => environmentTargets(e).includes(name)).map((e) => e.name) }));
  }

  /** The token the target's agent takes. */
  async agentToken(name: string): Promise<string> {
    await this.get(name);
    const launcher = this.launchers.get(name);
    if (!launcher) throw new TargetError('CONFIG_UNKNOWN_TARGET', `gantry.yaml declares no local target "${name}"`);
    return launcher.token;
  }

  /** Starts the target's agent again when it is gone, through the launcher a deployment uses (so the two never start two). */
  async reviveAgent(name: string): Promise<void> {
    await this.get(name);
    const launcher = this.launchers.get(name);
    launcher?.invalidate();
    await launcher?.ensure();
  }

  /**
   * Stops every agent Gantry started (they otherwise outlive the control plane on purpose), and
   * marks each stopped on purpose, so the agent watch of a later server does not start it again.
   */
  async stopAgents(): Promise<void> {
    await stopAgentProcesses(this.o.dataDir, this.o.stopLeftovers);
    if (!existsSync(this.o.dataDir)) return;
    for (const name of await readdir(this.o.dataDir)) {
      if (existsSync(join(this.o.dataDir, name, 'agent.json'))) await writeFile(join(this.o.dataDir, name, STOPPED_MARKER), `${new Date().toISOString()}\n`);
    }
  }
}
