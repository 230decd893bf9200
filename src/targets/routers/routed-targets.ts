import type { EnvironmentConfig } from '../../config/types.js';
import type { TargetRegistry } from '../registry.js';
import type { RevisionTraffic, Target, TrafficSource } from '../target.js';
import { HaproxyRouter } from './haproxy/haproxy-router.js';
import { RoutedTarget } from './routed-target.js';
import type { TrafficRouter } from './traffic-router.js';

/**
 * The target registry with each environment's `router:` in front: a target serving an environment
 * whose router is not the builtin one comes back as a RoutedTarget, and its traffic source reads
 * that environment's counters from the router. Targets no such environment uses are unchanged.
 */
export class RoutedTargets implements TargetRegistry {
  /** Target name → (environment → router), made once: a router remembers the match rule it set. */
  private readonly routers = new Map<string, Map<string, TrafficRouter>>();

  constructor(
    private readonly inner: TargetRegistry,
    environments: Readonly<Record<string, EnvironmentConfig>>,
  ) {
    for (const env of Object.values(environments)) {
      if (env.router.kind !== 'haproxy') continue;
      const byEnv = this.routers.get(env.target) ?? new Map<string, TrafficRouter>();
      byEnv.set(env.name, new HaproxyRouter(env.name, env.router));
      this.routers.set(env.target, byEnv);
    }
  }

  async get(name: string): Promise<Target> {
    return this.wrap(name, await this.inner.get(name));
  }

  async observe(name: string): Promise<Target | undefined> {
    const target = await this.inner.observe(name);
    return target && this.wrap(name, target);
  }

  async traffic(name: string): Promise<TrafficSource> {
    return this.wrapTraffic(name, await this.inner.traffic(name));
  }

  async observeTraffic(name: string): Promise<TrafficSource | undefined> {
    const source = await this.inner.observeTraffic(name);
    return source && this.wrapTraffic(name, source);
  }

  private wrap(name: string, target: Target): Target {
    const routers = this.routers.get(name);
    return routers ? new RoutedTarget(target, routers) : target;
  }

  private wrapTraffic(name: string, source: TrafficSource): TrafficSource {
    const routers = this.routers.get(name);
    if (!routers) return source;
    return {
      traffic: (environment: string, service: string): Promise<RevisionTraffic[]> => {
        const router = routers.get(environment);
        return router ? router.traffic(service) : source.traffic(environment, service);
      },
    };
  }
}
