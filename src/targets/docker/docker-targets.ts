import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DockerTargetConfig, GantryConfig } from '../../config/types.js';
import type { Logger } from '../../kernel/logger.js';
import { TargetError } from '../../errors/index.js';
import type { SecretSource } from '../../secrets/source.js';
import { AgentClient } from '../agent-client.js';
import type { TargetKind } from '../target-kind.js';
import { AgentLauncher } from '../local/agent-launcher.js';
import { routeLayout } from '../local/route-layout.js';
import { DockerTarget } from './docker-target.js';
import { remoteHostAgent, type HostAgent } from './host-agent.js';

/** The engine of a docker target without hosts when gantry.yaml names none: Docker's own default. */
export const DEFAULT_DOCKER_ENGINE = 'unix:///var/run/docker.sock';
/** A service without a health deadline (never, after normalisation) waits this long per host. */
const FALLBACK_BOOT_MS = 60_000;

export interface DockerTargetsOptions {
  readonly config: GantryConfig;
  readonly configPath: string;
  /** Gantry's data folder: pki/ (the CA, the pins) and agents/<target> (the agent it starts on this machine). */
  readonly dataDir: string;
  readonly secrets: SecretSource;
  readonly logger: Logger;
  readonly runAs?: string | null;
  readonly revisionsDir?: (target: string) => string;
}

/**
 * The `docker` kind. With `hosts`: one remote agent per host, reached over pinned TLS with its
 * own token. Without: one agent on this machine driving `engine`, which Gantry starts as it starts
 * a local target's (the same launcher, with `--runtime docker`).
 */
export class DockerTargets implements TargetKind {
  readonly kind = 'docker';
  /** Made once per name, even when the first calls overlap (two launchers would start two agents). */
  private readonly targets = new Map<string, Promise<DockerTarget>>();
  /** Observers' targets over remote hosts, kept: each holds TLS connections a status page reuses. */
  private readonly observers = new Map<string, DockerTarget>();

  constructor(private readonly o: DockerTargetsOptions) {}

  private spec(name: string): DockerTargetConfig {
    const spec = this.o.config.targets[name];
    if (spec?.kind !== 'docker') throw new TargetError('CONFIG_UNKNOWN_TARGET', `gantry.yaml declares no docker target "${name}"`);
    return spec;
  }

  get(name: string): Promise<DockerTarget> {
    const known = this.targets.get(name);
    if (known) return known;
    const making = this.create(name);
    this.targets.set(name, making);
    // A refusal (no certificate issued yet, a token not set) is not kept: the next deploy looks again.
    making.catch(() => this.targets.delete(name));
    return making;
  }

  private async create(name: string): Promise<DockerTarget> {
    const spec = this.spec(name);
    const routes = routeLayout(this.o.config, name);
    const hosts = spec.hosts.length > 0 ? await this.remoteHosts(spec, routes, undefined) : [await this.localHost(spec, routes)];
    return this.make(spec, hosts);
  }

  traffic(name: string): Promise<DockerTarget> {
    return this.get(name);
  }

  observeTraffic(name: string): Promise<DockerTarget | undefined> {
    return this.observe(name);
  }

  /** For observers: never starts an agent, never tells one its routes, never waits for a host that is down. */
  async observe(name: string): Promise<DockerTarget | undefined> {
    const spec = this.spec(name);
    if (spec.hosts.length > 0) {
      const known = this.observers.get(name) ?? this.make(spec, await this.remoteHosts(spec, undefined, 0));
      this.observers.set(name, known);
      return known;
    }
    const dir = join(this.o.dataDir, 'agents', name);
    if (!existsSync(join(dir, 'agent.json')) || !existsSync(join(dir, 'agent.token'))) return undefined;
    const { url } = JSON.parse(await readFile(join(dir, 'agent.json'), 'utf8')) as { url: string };
    const token = (await readFile(join(dir, 'agent.token'), 'utf8')).trim();
    const client = new AgentClient({ label: `the agent of target ${name}`, baseUrl: () => Promise.resolve(url), token, retryMs: 0, unreachableHint: `See ${join(dir, 'agent.log')}.` });
    return this.make(spec, [{ name: 'local', client, routeHost: '127.0.0.1' }]);
  }

  private make(spec: DockerTargetConfig, hosts: readonly HostAgent[]): DockerTarget {
    return new DockerTarget({
      name: spec.name,
      hosts,
      boot: spec.boot,
      bootTimeoutMs: (service) => spec.bootTimeoutMs ?? this.o.config.services[service]?.health.deadlineMs ?? FALLBACK_BOOT_MS,
      endpoint: spec.endpoint,
    });
  }

  private remoteHosts(spec: DockerTargetConfig, routes: ReturnType<typeof routeLayout> | undefined, retryMs: number | undefined): Promise<HostAgent[]> {
    const tokens = this.o.secrets.values(spec.hosts.map((h) => h.tokenSecret));
    return Promise.all(
      spec.hosts.map((host) =>
        remoteHostAgent({
          target: spec.name,
          host,
          dataDir: this.o.dataDir,
          token: tokens[host.tokenSecret],
          ...(routes === undefined ? {} : { routes }),
          ...(retryMs === undefined ? {} : { retryMs }),
        }),
      ),
    );
  }

  /** The agent on this machine, started (detached, like a local target's) when none answers. */
  private async localHost(spec: DockerTargetConfig, routes: ReturnType<typeof routeLayout>): Promise<HostAgent> {
    const engine = spec.engine ?? process.env.DOCKER_HOST ?? DEFAULT_DOCKER_ENGINE;
    const launcher = new AgentLauncher({
      targetName: spec.name,
      configPath: this.o.configPath,
      dataDir: join(this.o.dataDir, 'agents', spec.name),
      port: spec.port,
      token: undefined,
      logger: this.o.logger,
      runAs: this.o.runAs ?? null,
      ...(this.o.revisionsDir ? { revisionsDir: this.o.revisionsDir(spec.name) } : {}),
      agentArgs: ['--runtime', 'docker', '--docker-host', engine],
    });
    const client = new AgentClient({
      label: `the agent of target ${spec.name}`,
      baseUrl: () => launcher.ensure(),
      token: await launcher.token,
      onUnreachable: () => launcher.invalidate(),
      retryMs: 5_000,
      unreachableHint: `Gantry restarts the agent it started; see ${join(this.o.dataDir, 'agents', spec.name, 'agent.log')}.`,
      routes,
    });
    return { name: 'local', client, routeHost: '127.0.0.1' };
  }
}
