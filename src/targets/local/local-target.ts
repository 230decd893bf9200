import { GantryError, TargetError } from '../../errors/index.js';
import type { RevisionSpec, RevisionTraffic, RouteName, ServiceStatus, Target } from '../target.js';

/** How long a call keeps trying to reach an agent that does not answer: a worker restarts well within it. */
const TRANSPORT_RETRY_MS = 5_000;

interface ErrorBody {
  code?: string;
  message?: string;
  hint?: string;
}

/** The local target: the contract spoken over HTTP to a `gantry agent` on this machine. */
export class LocalTarget implements Target {
  constructor(
    readonly name: string,
    private readonly agentUrl: () => Promise<string>,
    private readonly token: string,
    /** Told when the agent did not answer, so the next call looks for it (or starts it) again. */
    private readonly onUnreachable: () => void = () => undefined,
    /** Observers (status pages, metrics) pass 0: they report an agent that is down rather than wait for it. */
    private readonly retryMs = TRANSPORT_RETRY_MS,
  ) {}

  private async call<T>(method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
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

  async describe(environment: string): Promise<ServiceStatus[]> {
    return (await this.call<{ services: ServiceStatus[] }>('GET', `/v1/environments/${environment}`)).services;
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

  async traffic(environment: string, service: string): Promise<RevisionTraffic[]> {
    return (await this.call<{ revisions: RevisionTraffic[] }>('GET', `/v1/environments/${environment}/services/${service}/traffic`)).revisions;
  }

  async url(environment: string, service: string, route: RouteName): Promise<string> {
    const status = (await this.describe(environment)).find((s) => s.service === service);
    const port = route === 'preview' ? status?.previewPort : status?.port;
    if (port === undefined) throw new TargetError('NOT_FOUND', `${environment}/${service} has no ${route} route on target ${this.name}`);
    return `http://127.0.0.1:${port}`;
  }

  async logs(environment: string, service: string, revision: number, lines = 50): Promise<string[]> {
    return (await this.call<{ lines: string[] }>('GET', `/v1/environments/${environment}/services/${service}/revisions/${revision}/logs?lines=${lines}`)).lines;
  }
}
