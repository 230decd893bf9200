import { GantryError, TargetError } from '../../errors/index.js';
import { controlPlaneUrl } from '../endpoint.js';
import type { Endpoint, RevisionSpec, RevisionTraffic, RouteName, ServiceStatus, Target, TargetCapabilities, TrafficSource, WeightsCheck } from '../target.js';
import { sameWeights } from '../weights.js';
import type { ServedRoute } from './route-layout.js';

/** How long a call keeps trying to reach an agent that does not answer: a worker restarts well within it. */
const TRANSPORT_RETRY_MS = 5_000;

interface ErrorBody {
  code?: string;
  message?: string;
  hint?: string;
}

/**
 * What the local agent does: its router splits a route by weight; it has no header routing; a
 * service of a blue-green environment gets a preview route (a second port) before the switch.
 */
export const LOCAL_CAPABILITIES: TargetCapabilities = Object.freeze({ weightedRouting: true, headerRouting: false, preview: true });

/** The local target: the contract spoken over HTTP to a `gantry agent` on this machine; it is also the local kind's traffic source. */
export class LocalTarget implements Target, TrafficSource {
  constructor(
    readonly name: string,
    private readonly agentUrl: () => Promise<string>,
    private readonly token: string,
    /** Told when the agent did not answer, so the next call looks for it (or starts it) again. */
    private readonly onUnreachable: () => void = () => undefined,
    /** Observers (status pages, metrics) pass 0: they report an agent that is down rather than wait for it. */
    private readonly retryMs = TRANSPORT_RETRY_MS,
    /** The routes gantry.yaml gives this target's agent (route-layout.ts), told to each agent before its first call; observers pass none. */
    private readonly routes?: readonly ServedRoute[],
  ) {}

  /** The agent (by its address) last told the routes: a new one is told again before anything else. */
  private configured: string | undefined;

  private async configure(): Promise<void> {
    if (this.routes === undefined) return;
    const base = await this.agentUrl();
    if (this.configured === base) return;
    await this.send('PUT', '/v1/routes', { routes: this.routes }).then(async (response) => {
      if (!response.ok) throw new GantryError('TARGET_ERROR', `agent ${this.name} refused its routes: ${await response.text()}`, { hint: 'Read the agent log in the data dir.' });
    });
    this.configured = base;
  }

  private async call<T>(method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    await this.configure();
    const response = await this.send(method, path, body);
    const text = await response.text();
    const parsed = text === '' ? {} : (JSON.parse(text) as unknown);
    if (!response.ok) {
      const e = parsed as ErrorBody;
      throw new GantryError((e.code as never) ?? 'TARGET_ERROR', `agent ${this.name}: ${e.message ?? `HTTP ${response.status}`}`, e.hint ? { hint: e.hint } : {});
    }
    return parsed as T;
  }

  /**
   * Every call of the contract is idempotent, so one that found no agent (its worker restarting, a
   * connection cut by its crash) is sent again for a few seconds before the step hears of it.
   */
  private async send(method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<Response> {
    const deadline = Date.now() + this.retryMs;
    for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
      const base = await this.agentUrl();
      try {
        return await fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (cause: unknown) {
        this.onUnreachable();
        if (Date.now() + pause > deadline) {
          throw new TargetError('AGENT_UNREACHABLE', `the agent of target ${this.name} at ${base} did not answer`, { cause, retryable: true, hint: 'Gantry restarts a local agent it started; check the agent log in the data dir.' });
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
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
    await this.call('PUT', `/v1/environments/${spec.environment}/services/${spec.service}/revisions/${spec.revision}`, spec);
  }

  async setWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<void> {
    await this.call('PUT', `/v1/environments/${environment}/services/${service}/routes/${route}`, { weights });
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
    const status = (await this.describe(environment)).find((s) => s.service === service);
    const endpoint = status?.endpoints?.[route];
    if (endpoint === undefined) throw new TargetError('NOT_FOUND', `${environment}/${service} has no ${route} route on target ${this.name}`);
    return endpoint;
  }

  async url(environment: string, service: string, route: RouteName): Promise<string> {
    return controlPlaneUrl(await this.endpoint(environment, service, route), this.name, environment, service, route);
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
