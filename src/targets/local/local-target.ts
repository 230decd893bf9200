import { TargetError } from '../../errors/index.js';
import { AgentClient, agentRevisionBody, type AgentMethod } from '../agent-client.js';
import { controlPlaneUrl, describedEndpoint } from '../endpoint.js';
import type { Endpoint, FaultReport, FaultSpec, KilledReplica, RevisionSpec, RevisionTraffic, RouteMatch, RouteName, ServiceStatus, Target, TargetCapabilities, TrafficSource, WeightsCheck } from '../target.js';
import { sameWeights } from '../weights.js';
import type { ServedRoute } from './route-layout.js';

/** How long a call keeps trying to reach an agent that does not answer: a worker restarts well within it. */
const TRANSPORT_RETRY_MS = 5_000;

/**
 * What the local agent does: its router splits a route by weight; it has no header routing; a
 * service of a blue-green environment gets a preview route (a second port) before the switch.
 */
export const LOCAL_CAPABILITIES: TargetCapabilities = Object.freeze({ weightedRouting: true, headerRouting: true, preview: true, rollsItself: false, faults: true });

/** The local target: the contract spoken over HTTP to a `gantry agent` on this machine; it is also the local kind's traffic source. */
export class LocalTarget implements Target, TrafficSource {
  private readonly client: AgentClient;

  constructor(
    readonly name: string,
    agentUrl: () => Promise<string>,
    token: string,
    /** Told when the agent did not answer, so the next call looks for it (or starts it) again. */
    onUnreachable: () => void = () => undefined,
    /** Observers (status pages, metrics) pass 0: they report an agent that is down rather than wait for it. */
    retryMs = TRANSPORT_RETRY_MS,
    /** The routes gantry.yaml gives this target's agent (route-layout.ts), told to each agent before its first call; observers pass none. */
    routes?: readonly ServedRoute[],
  ) {
    this.client = new AgentClient({
      label: `the agent of target ${name}`,
      baseUrl: agentUrl,
      token,
      onUnreachable,
      retryMs,
      unreachableHint: 'Gantry restarts a local agent it started; check the agent log in the data dir.',
      ...(routes === undefined ? {} : { routes }),
    });
  }

  private call<T>(method: AgentMethod, path: string, body?: unknown): Promise<T> {
    return this.client.call<T>(method, path, body);
  }

  capabilities(): TargetCapabilities {
    return LOCAL_CAPABILITIES;
  }

  /** The agent's report, with where each route is reached: its ports listen on this machine's loopback, where the control plane runs. */
  async describe(environment: string): Promise<ServiceStatus[]> {
    const services = (await this.call<{ services: ServiceStatus[] }>('GET', `/v1/environments/${environment}`)).services;
    return services.map((s) => ({ ...s, endpoints: loopbackEndpoints(s) }));
  }

  async startRevision(spec: RevisionSpec): Promise<void> {
    await this.call('PUT', `/v1/environments/${spec.environment}/services/${spec.service}/revisions/${spec.revision}`, agentRevisionBody(spec));
  }

  async setWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<void> {
    await this.call('PUT', `/v1/environments/${environment}/services/${service}/routes/${route}`, { weights });
  }

  async setMatch(environment: string, service: string, match: RouteMatch | null): Promise<void> {
    await this.call('PUT', `/v1/environments/${environment}/services/${service}/match`, { match });
  }

  async stopRevision(environment: string, service: string, revision: number): Promise<void> {
    await this.call('DELETE', `/v1/environments/${environment}/services/${service}/revisions/${revision}`);
  }

  /** The agent's router applies weights before it answers setWeights: what describe() reports is already in force. */
  async verifyWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<WeightsCheck> {
    const status = (await this.describe(environment)).find((s) => s.service === service);
    if (!status) throw new TargetError('NOT_FOUND', `${environment}/${service} is not served by target ${this.name}`);
    const actual = Object.fromEntries(Object.entries(status.weights[route]).filter(([, w]) => w > 0));
    return { applied: sameWeights(actual, weights), actual };
  }

  async traffic(environment: string, service: string): Promise<RevisionTraffic[]> {
    return (await this.call<{ revisions: RevisionTraffic[] }>('GET', `/v1/environments/${environment}/services/${service}/traffic`)).revisions;
  }

  async endpoint(environment: string, service: string, route: RouteName): Promise<Endpoint> {
    return describedEndpoint(await this.describe(environment), this.name, environment, service, route);
  }

  async url(environment: string, service: string, route: RouteName): Promise<string> {
    return controlPlaneUrl(await this.endpoint(environment, service, route), this.name, environment, service, route);
  }

  async injectFaults(environment: string, service: string, faults: FaultSpec, durationMs: number): Promise<FaultReport> {
    return (await this.call<{ active: FaultReport }>('PUT', `/v1/environments/${environment}/services/${service}/faults`, { faults, durationMs })).active;
  }

  async clearFaults(environment: string, service: string): Promise<FaultReport | null> {
    return (await this.call<{ cleared: FaultReport | null }>('DELETE', `/v1/environments/${environment}/services/${service}/faults`)).cleared;
  }

  async killReplica(environment: string, service: string, revision: number): Promise<KilledReplica> {
    return this.call<KilledReplica>('POST', `/v1/environments/${environment}/services/${service}/revisions/${revision}/kill`);
  }

  async logs(environment: string, service: string, revision: number, lines = 50): Promise<string[]> {
    return (await this.call<{ lines: string[] }>('GET', `/v1/environments/${environment}/services/${service}/revisions/${revision}/logs?lines=${lines}`)).lines;
  }
}

function loopbackEndpoints(s: ServiceStatus): ServiceStatus['endpoints'] {
  const at = (port: number): Endpoint => ({ url: `http://127.0.0.1:${port}`, reachableFrom: 'control-plane' });
  if (s.port === undefined) return undefined;
  return { main: at(s.port), ...(s.previewPort === undefined ? {} : { preview: at(s.previewPort) }) };
}
