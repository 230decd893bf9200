import { agentRevisionBody } from '../agent-client.js';
import { TargetError } from '../../errors/index.js';
import { controlPlaneUrl, describedEndpoint } from '../endpoint.js';
import { LOCAL_CAPABILITIES } from '../local/local-target.js';
import type { Endpoint, RevisionSpec, RevisionTraffic, RouteMatch, RouteName, ServiceStatus, Target, TargetCapabilities, TrafficSource, WeightsCheck } from '../target.js';
import { sameWeights } from '../weights.js';
import type { HostAgent } from './host-agent.js';
import { bootHost } from './host-boot.js';
import { mergeServices, mergeTraffic } from './merge-status.js';

export interface DockerTargetOptions {
  readonly name: string;
  /** In deploy order; a single agent on this machine for a target without `hosts`. */
  readonly hosts: readonly HostAgent[];
  /** Hosts started at a time (Kamal's boot limit). */
  readonly boot: number;
  /** How long one host's start may take to be ready: targets.<name>.bootTimeout, else the service's health deadline. */
  readonly bootTimeoutMs: (service: string) => number;
  /** targets.<name>.endpoint: where users reach the main routes (a load balancer); else the first host's. */
  readonly endpoint?: string | undefined;
}

/**
 * The Docker target: the target contract over one agent per host, each running revisions as
 * containers behind its own router. A revision starts host by host (`boot` at a time, each group
 * ready before the next), and stops at the first host that fails; weights and stops go to every
 * host, and a weight change is in force only once every host serves it.
 */
export class DockerTarget implements Target, TrafficSource {
  readonly name: string;

  constructor(private readonly o: DockerTargetOptions) {
    this.name = o.name;
  }

  capabilities(): TargetCapabilities {
    // Each host's agent routes like a local target's; chaos faults are not wired through the hosts.
    return { ...LOCAL_CAPABILITIES, faults: false };
  }

  private each<T>(call: (host: HostAgent) => Promise<T>): Promise<Array<{ host: string; value: T }>> {
    return Promise.all(this.o.hosts.map(async (host) => ({ host: host.name, value: await call(host) })));
  }

  /** Each host's own report, unmerged (`value`: its services), in deploy order: for status pages and tests that need to tell hosts apart. */
  async describeHosts(environment: string): Promise<Array<{ host: string; value: ServiceStatus[] }>> {
    return this.each(async (h) => (await h.client.call<{ services: ServiceStatus[] }>('GET', `/v1/environments/${environment}`)).services);
  }

  async describe(environment: string): Promise<ServiceStatus[]> {
    return mergeServices(await this.describeHosts(environment)).map((s) => ({ ...s, endpoints: this.endpoints(s) }));
  }

  /**
   * On one host, the revision is started and the strategy waits for it as on any target. On several,
   * hosts boot in groups of `boot`, each group ready before the next, so a revision that fails on
   * one host never reaches the hosts after it.
   */
  async startRevision(spec: RevisionSpec): Promise<void> {
    const only = this.o.hosts.length === 1 ? this.o.hosts[0] : undefined;
    if (only) {
      await only.client.call('PUT', `/v1/environments/${spec.environment}/services/${spec.service}/revisions/${spec.revision}`, agentRevisionBody(spec));
      return;
    }
    const deadlineMs = this.o.bootTimeoutMs(spec.service);
    for (let i = 0; i < this.o.hosts.length; i += this.o.boot) {
      // A failed host rejects its group; the hosts of later groups are never asked.
      await Promise.all(this.o.hosts.slice(i, i + this.o.boot).map((host) => bootHost(host, spec, deadlineMs, this.name)));
    }
  }

  async setWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<void> {
    await this.each((h) => h.client.call('PUT', `/v1/environments/${environment}/services/${service}/routes/${route}`, { weights }));
  }

  /** Every host's router gets the rule, as it gets the weights. */
  async setMatch(environment: string, service: string, match: RouteMatch | null): Promise<void> {
    await this.each((h) => h.client.call('PUT', `/v1/environments/${environment}/services/${service}/match`, { match }));
  }

  async stopRevision(environment: string, service: string, revision: number): Promise<void> {
    await this.each((h) => h.client.call('DELETE', `/v1/environments/${environment}/services/${service}/revisions/${revision}`));
  }

  /** Applied only when every host's router serves the weights; `actual` is the first host that does not (or the first host). */
  async verifyWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<WeightsCheck> {
    const checks = (await this.describeHosts(environment)).map(({ host, value }) => {
      const status = value.find((s) => s.service === service);
      if (!status) throw new TargetError('NOT_FOUND', `${environment}/${service} is not served by host ${host} of target ${this.name}`);
      const actual = Object.fromEntries(Object.entries(status.weights[route]).filter(([, w]) => w > 0));
      return { applied: sameWeights(actual, weights), actual };
    });
    return checks.find((c) => !c.applied) ?? checks[0] ?? { applied: false, actual: {} };
  }

  async traffic(environment: string, service: string): Promise<RevisionTraffic[]> {
    const path = `/v1/environments/${environment}/services/${service}/traffic`;
    return mergeTraffic((await this.each(async (h) => (await h.client.call<{ revisions: RevisionTraffic[] }>('GET', path)).revisions)).map((r) => r.value));
  }

  async endpoint(environment: string, service: string, route: RouteName): Promise<Endpoint> {
    return describedEndpoint(await this.describe(environment), this.name, environment, service, route);
  }

  async url(environment: string, service: string, route: RouteName): Promise<string> {
    return controlPlaneUrl(await this.endpoint(environment, service, route), this.name, environment, service, route);
  }

  /** Logs of a revision from every host, each line prefixed with its host when there are several. */
  async logs(environment: string, service: string, revision: number, lines = 50): Promise<string[]> {
    const path = `/v1/environments/${environment}/services/${service}/revisions/${revision}/logs?lines=${lines}`;
    const per = await this.each(async (h) => (await h.client.call<{ lines: string[] }>('GET', path)).lines);
    return per.length === 1 ? (per[0]?.value ?? []) : per.flatMap(({ host, value }) => value.map((line) => `[${host}] ${line}`));
  }

  /** The first host's routes (merged statuses carry its ports), or the configured endpoint for the main route. */
  private endpoints(s: ServiceStatus): ServiceStatus['endpoints'] {
    const first = this.o.hosts[0];
    if (s.port === undefined || first === undefined) return undefined;
    const host = first.routeHost.includes(':') ? `[${first.routeHost}]` : first.routeHost;
    const at = (port: number): Endpoint => ({ url: `http://${host}:${port}`, reachableFrom: 'control-plane' });
    const main: Endpoint = this.o.endpoint ? { url: this.o.endpoint.replace(/\/$/, ''), reachableFrom: 'control-plane' } : at(s.port);
    return { main, ...(s.previewPort === undefined ? {} : { preview: at(s.previewPort) }) };
  }
}
