import type { HaproxyRouterConfig } from '../../../config/types.js';
import { TargetError } from '../../../errors/index.js';
import type { Endpoint, RevisionStatus, RevisionTraffic, RouteMatch, WeightsCheck } from '../../target.js';
import { sameWeights } from '../../weights.js';
import type { TrafficRouter } from '../traffic-router.js';
import { parseServersState, parseTraffic, type LiveServer } from './haproxy-state.js';
import { RuntimeApi } from './runtime-api.js';
import { retireServers } from './retire-servers.js';
import { planMatchServers, planServers, revisionOfServer, type PlannedServer } from './server-plan.js';

/** Where the replicas listen: the local target's revisions bind the loopback of the machine HAProxy runs on. */
const REPLICA_HOST = '127.0.0.1';

/** `{environment}` and `{service}` filled in: router.backend, router.matchBackend, router.url. */
export function fillTemplate(template: string, environment: string, service: string): string {
  return template.replaceAll('{environment}', environment).replaceAll('{service}', service);
}

/**
 * The `haproxy` router: a real HAProxy driven only through its runtime API (no reload). Each
 * service's backend holds one server per replica of every running revision; setWeights adds the
 * servers that are missing (weight 0), moves any whose replica restarted on another port, then sets
 * every weight in one runtime-API connection, then drains and deletes the servers of revisions that
 * stopped. Health checks are HAProxy's (`check`: TCP, or the backend's `option httpchk`).
 */
export class HaproxyRouter implements TrafficRouter {
  private readonly api: RuntimeApi;
  private readonly matches = new Map<string, RouteMatch>();
  readonly headerRouting: boolean;

  constructor(
    private readonly environment: string,
    private readonly config: HaproxyRouterConfig,
  ) {
    this.api = new RuntimeApi(config.runtimeApi, `the haproxy router of environment ${environment}`);
    this.headerRouting = config.matchBackend !== undefined;
  }

  private backend(service: string): string {
    return fillTemplate(this.config.backend, this.environment, service);
  }

  private matchBackend(service: string): string | undefined {
    return this.config.matchBackend === undefined ? undefined : fillTemplate(this.config.matchBackend, this.environment, service);
  }

  private where(service: string): string {
    return `environments.${this.environment}.router (${this.environment}/${service})`;
  }

  private async live(backend: string): Promise<LiveServer[]> {
    const answer = await this.api.query([`show servers state ${backend}`]);
    // A backend HAProxy does not have would otherwise read as one without servers, never "applied".
    if (!answer.includes('# be_id')) {
      throw new TargetError('ROUTER_REFUSED', `HAProxy at ${this.config.runtimeApi} has no backend ${backend} for environment ${this.environment}: ${answer.trim() || 'no answer'}`, {
        where: `environments.${this.environment}.router`,
        hint: `Declare \`backend ${backend}\` (balance roundrobin, no servers) in HAProxy's config, or set router.backend to the backend you have (docs/routers.md).`,
      });
    }
    return parseServersState(answer);
  }

  async setWeights(service: string, revisions: readonly RevisionStatus[], weights: Readonly<Record<string, number>>): Promise<void> {
    await this.sync(this.backend(service), planServers(revisions, weights, this.where(service)));
    const match = this.matchBackend(service);
    // The match backend follows restarted replicas too, for the revision it serves now.
    if (match !== undefined) {
      const serving = (await this.live(match)).map((s) => revisionOfServer(s.name)).find((r) => r !== undefined);
      if (serving !== undefined && revisions.some((r) => r.revision === serving && r.ports.length > 0)) await this.sync(match, planMatchServers(revisions, serving, this.where(service)));
    }
  }

  /** Makes `backend` hold exactly `planned` (Gantry's servers only; servers the user declared are left alone). */
  private async sync(backend: string, planned: readonly PlannedServer[]): Promise<void> {
    const live = new Map((await this.live(backend)).map((s) => [s.name, s]));
    const prepare: string[] = [];
    for (const p of planned) {
      const now = live.get(p.name);
      const at = `${backend}/${p.name}`;
      if (!now) prepare.push(`add server ${at} ${REPLICA_HOST}:${p.port} weight 0 check inter 1s`, `enable health ${at}`, `enable server ${at}`);
      else {
        if (now.port !== p.port || now.address !== REPLICA_HOST) prepare.push(`set server ${at} addr ${REPLICA_HOST} port ${p.port}`);
        if (!now.ready) prepare.push(`set server ${at} state ready`);
      }
    }
    // New servers take no request before the weights below give them some.
    await this.api.apply(prepare);
    const stale = [...live.values()].filter((s) => revisionOfServer(s.name) !== undefined && !planned.some((p) => p.name === s.name));
    // Raises first, then lowers: HAProxy applies the commands one by one, and a backend whose weights
    // all pass through 0 in between would answer 503 to a request arriving at that instant.
    const changes = [...planned.map((p) => ({ name: p.name, from: live.get(p.name)?.weight ?? 0, to: p.weight })), ...stale.map((s) => ({ name: s.name, from: s.weight, to: 0 }))];
    const order = (c: { from: number; to: number }): number => (c.to >= c.from ? 0 : 1);
    await this.api.apply(changes.sort((a, b) => order(a) - order(b)).map((c) => `set server ${backend}/${c.name} weight ${c.to}`));
    await retireServers(this.api, backend, stale.map((s) => s.name));
  }

  async verifyWeights(service: string, revisions: readonly RevisionStatus[], weights: Readonly<Record<string, number>>): Promise<WeightsCheck> {
    const planned = planServers(revisions, weights, this.where(service));
    const live = await this.live(this.backend(service));
    const actual = percentages(live);
    const inForce = planned.every((p) => live.some((s) => s.name === p.name && s.port === p.port && s.weight === p.weight && s.ready));
    const nothingElse = live.every((s) => revisionOfServer(s.name) === undefined || s.weight === 0 || !s.ready || planned.some((p) => p.name === s.name));
    return { applied: inForce && nothingElse && sameWeights(actual, weights), actual };
  }

  async weights(service: string): Promise<Record<string, number>> {
    return percentages(await this.live(this.backend(service)));
  }

  async setMatch(service: string, revisions: readonly RevisionStatus[], match: RouteMatch | null): Promise<void> {
    const backend = this.matchBackend(service);
    if (backend === undefined) return;
    await this.sync(backend, planMatchServers(revisions, match?.revision, this.where(service)));
    if (match) this.matches.set(service, match);
    else this.matches.delete(service);
  }

  async match(service: string): Promise<RouteMatch | undefined> {
    const known = this.matches.get(service);
    const backend = this.matchBackend(service);
    if (!known || backend === undefined) return undefined;
    // Reported only while HAProxy's match backend still serves that revision.
    const serving = (await this.live(backend)).some((s) => revisionOfServer(s.name) === known.revision && s.weight > 0 && s.ready);
    return serving ? known : undefined;
  }

  endpoint(service: string): Endpoint {
    return { url: fillTemplate(this.config.url, this.environment, service), reachableFrom: 'control-plane' };
  }

  async traffic(service: string): Promise<RevisionTraffic[]> {
    const backends = [this.backend(service), this.matchBackend(service)].filter((b): b is string => b !== undefined);
    return parseTraffic(await this.api.query(['show stat']), backends);
  }
}

/** Revision → share of the route in percent, from the weights of Gantry's ready servers. */
function percentages(live: readonly LiveServer[]): Record<string, number> {
  const sums = new Map<number, number>();
  for (const s of live) {
    const revision = revisionOfServer(s.name);
    if (revision !== undefined && s.ready && s.weight > 0) sums.set(revision, (sums.get(revision) ?? 0) + s.weight);
  }
  const total = [...sums.values()].reduce((a, b) => a + b, 0);
  // Rounded to whole percent: the weights were planned from whole percents (WEIGHT_PER_PERCENT per percent).
  return Object.fromEntries([...sums.entries()].map(([r, w]) => [String(r), Math.round((w * 100) / total)]));
}
