import { TargetError } from '../../errors/index.js';
import { controlPlaneUrl } from '../endpoint.js';
import type { Endpoint, ManagedResources, RevisionSpec, RevisionStatus, RouteMatch, RouteName, ServiceStatus, Target, TargetCapabilities, TargetEvent, WeightsCheck } from '../target.js';
import { sameWeights } from '../weights.js';
import type { TrafficRouter } from './traffic-router.js';

/**
 * A target whose environments may have their main route served by a router of their own
 * (`router:` in gantry.yaml): weights, their check, the match rule and the main endpoint go to the
 * environment's TrafficRouter; running revisions, logs, the preview route and everything else to
 * the inner target. Environments without a router are the inner target's unchanged.
 */
export class RoutedTarget implements Target {
  readonly name: string;

  constructor(
    private readonly inner: Target,
    /** Environment → its router; only the environments of this target that name one. */
    private readonly routers: ReadonlyMap<string, TrafficRouter>,
  ) {
    this.name = inner.name;
    if (inner.resources) this.resources = inner.resources.bind(inner);
    if (inner.applyResources) this.applyResources = inner.applyResources.bind(inner);
    if (inner.events) this.events = inner.events.bind(inner);
  }

  capabilities(): TargetCapabilities {
    const base = this.inner.capabilities();
    // The strategy asks without naming an environment: a match is possible only when every routed environment's router can do it.
    const routers = [...this.routers.values()];
    // No faults: chaos checks inject them at the built-in router, which a routed environment's traffic does not pass.
    return { ...base, weightedRouting: true, headerRouting: routers.length > 0 ? routers.every((r) => r.headerRouting) : base.headerRouting, faults: false };
  }

  async describe(environment: string): Promise<ServiceStatus[]> {
    const statuses = await this.inner.describe(environment);
    const router = this.routers.get(environment);
    if (!router) return statuses;
    return Promise.all(
      statuses.map(async (s) => {
        const match = await router.match(s.service);
        const { match: _innerMatch, ...rest } = s;
        return {
          ...rest,
          weights: { ...s.weights, main: await router.weights(s.service) },
          endpoints: { ...s.endpoints, main: router.endpoint(s.service) },
          ...(match ? { match } : {}),
        };
      }),
    );
  }

  startRevision(spec: RevisionSpec): Promise<void> {
    return this.inner.startRevision(spec);
  }

  async setWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<void> {
    const router = this.routers.get(environment);
    if (!router || route !== 'main') return this.inner.setWeights(environment, service, route, weights);
    await router.setWeights(service, await this.revisions(environment, service), weights);
  }

  async verifyWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<WeightsCheck> {
    const router = this.routers.get(environment);
    if (!router || route !== 'main') return this.inner.verifyWeights(environment, service, route, weights);
    const revisions = await this.revisions(environment, service);
    const check = await router.verifyWeights(service, revisions, weights);
    // The router serves these shares but its servers no longer match the replicas (one restarted on
    // another port, a replica added): follow them, keeping the shares, then answer. Other weights
    // are never applied from here: that is setWeights' job.
    if (check.applied || !sameWeights(check.actual, weights)) return check;
    await router.setWeights(service, revisions, weights);
    return router.verifyWeights(service, revisions, weights);
  }

  async setMatch(environment: string, service: string, match: RouteMatch | null): Promise<void> {
    const router = this.routers.get(environment);
    if (!router) {
      if (!this.inner.setMatch) throw new TargetError('TARGET_CAPABILITY_MISSING', `target ${this.name} cannot route ${environment}/${service} by header`, { where: `environments.${environment}` });
      return this.inner.setMatch(environment, service, match);
    }
    if (!router.headerRouting && match !== null) {
      throw new TargetError('TARGET_CAPABILITY_MISSING', `the haproxy router of ${environment} has no match backend for header routing`, { where: `environments.${environment}.router`, hint: 'Set router.matchBackend and route the header to it in the HAProxy frontend (docs/routers.md).' });
    }
    await router.setMatch(service, await this.revisions(environment, service), match);
  }

  async stopRevision(environment: string, service: string, revision: number): Promise<void> {
    const router = this.routers.get(environment);
    // The inner target no longer sees the main route's traffic: the router says whether users still reach the revision.
    if (router && ((await router.weights(service))[String(revision)] ?? 0) > 0) {
      throw new TargetError('CONFLICT', `revision ${revision} of ${environment}/${service} still has traffic through the environment's router`, { hint: 'Move its traffic away (set weights) before stopping it.' });
    }
    return this.inner.stopRevision(environment, service, revision);
  }

  logs(environment: string, service: string, revision: number, lines: number): Promise<string[]> {
    return this.inner.logs(environment, service, revision, lines);
  }

  async endpoint(environment: string, service: string, route: RouteName): Promise<Endpoint> {
    const router = this.routers.get(environment);
    return router && route === 'main' ? router.endpoint(service) : this.inner.endpoint(environment, service, route);
  }

  async url(environment: string, service: string, route: RouteName): Promise<string> {
    return controlPlaneUrl(await this.endpoint(environment, service, route), this.name, environment, service, route);
  }

  // The inner target's optional parts, present exactly when it has them.
  readonly resources?: (environment: string) => Promise<ManagedResources>;
  readonly applyResources?: (environment: string, resources: ManagedResources) => Promise<string[]>;
  readonly events?: (environment: string, service?: string) => Promise<TargetEvent[]>;

  private async revisions(environment: string, service: string): Promise<readonly RevisionStatus[]> {
    return (await this.inner.describe(environment)).find((s) => s.service === service)?.revisions ?? [];
  }
}
