import { RevisionPhase } from '../../src/targets/target.js';
import type { Endpoint, ManagedResources, RevisionSpec, RevisionStatus, RevisionTraffic, RouteName, ServiceStatus, Target, TargetCapabilities, WeightsCheck } from '../../src/targets/target.js';
import type { TargetKind } from '../../src/targets/target-kind.js';
import { sameWeights } from '../../src/targets/weights.js';

/** How one revision behaves once started, counted in describe() calls: each call is one look. */
export interface RevisionScript {
  /** Looks that still see it `starting` before it is ready (default 0: ready at the first look). */
  readonly readyAfter?: number;
  /** Stays `starting` for ever. */
  readonly neverReady?: boolean;
  /** Goes to `crash-loop` where it would have become ready. */
  readonly crashLoop?: boolean;
  /** Once ready, is seen ready `checks` times, then reports `phase` for good. */
  readonly breaksAfter?: { readonly checks: number; readonly phase: 'unhealthy' | 'crashed' | 'crash-loop' };
  /** Pre-switch checks fail while the preview route serves it. */
  readonly failsChecks?: boolean;
  readonly lastError?: string;
}

interface FakeRevision {
  readonly script: RevisionScript;
  phase: RevisionPhase;
  looks: number;
  replicas: number;
}

const DEFAULT_ERRORS: Partial<Record<RevisionPhase, string>> = {
  starting: 'GET /health: connection refused',
  unhealthy: 'GET /health: 503',
  crashed: 'exited with code 1',
  'crash-loop': 'exited with code 1',
};

/**
 * An in-memory Target for one environment and service. It records every call in order (`calls`),
 * applies each setWeights as one state change, and throws (and records in `violations`) whenever a
 * strategy breaks invariant 3: main traffic to a revision that is not ready, or stopping one that
 * still serves users. A call named with `crashBefore` fails once without happening, like a control
 * plane dying just before it; such calls are not recorded.
 */
export class FakeTarget implements Target {
  readonly name = 'fake';
  readonly calls: string[] = [];
  readonly violations: string[] = [];
  private readonly revisions = new Map<number, FakeRevision>();
  private readonly scripts = new Map<number, RevisionScript>();
  private readonly routes: Record<RouteName, Record<string, number>> = { main: {}, preview: {} };
  private readonly crashes = new Set<string>();

  constructor(
    readonly environment = 'production',
    readonly service = 'nest-api',
    readonly port = 14000,
    readonly previewPort = 14100,
  ) {}

  /** How `revision` will behave when a strategy starts it. */
  script(revision: number, script: RevisionScript): this {
    this.scripts.set(revision, script);
    return this;
  }

  /** A revision already running, ready and holding all main traffic, as an earlier deploy left it. */
  serving(revision: number, script: RevisionScript = {}): this {
    this.revisions.set(revision, { script, phase: RevisionPhase.Ready, looks: 0, replicas: 1 });
    this.routes.main = { [revision]: 100 };
    return this;
  }

  crashBefore(call: string): this {
    this.crashes.add(call);
    return this;
  }

  phase(revision: number): RevisionPhase | undefined {
    return this.revisions.get(revision)?.phase;
  }

  route(route: RouteName): Readonly<Record<string, number>> {
    return { ...this.routes[route] };
  }

  /** The calls that change something (plus what tests add, such as `check` and `sleep`), in order. */
  changes(): string[] {
    return this.calls.filter((call) => !/^(describe|url|traffic|verify|endpoint)\b/.test(call));
  }

  /** A StrategyContext.preSwitchCheck that runs against the preview route and fails when scripted to. */
  readonly preSwitchCheck = async (url: string): Promise<void> => {
    this.calls.push(`check ${url}`);
    if (url !== `http://127.0.0.1:${this.previewPort}`) throw new Error(`checks must run on the preview route, not ${url}`);
    const served = Object.entries(this.routes.preview).find(([, weight]) => weight === 100)?.[0];
    if (served === undefined) throw new Error('the preview route serves no revision');
    if (this.scripts.get(Number(served))?.failsChecks) throw new Error(`GET /orders on preview r${served}: 500`);
    // Checks take time: the revision under test moves on one look, so it may break right after passing.
    const revision = this.revisions.get(Number(served));
    if (revision) this.look(Number(served), revision);
  };

  async describe(environment: string): Promise<ServiceStatus[]> {
    const statuses = environment === this.environment ? [...this.revisions].map(([revision, r]) => this.look(revision, r)) : [];
    this.calls.push(`describe ${statuses.map((s) => `r${s.revision}=${s.phase}`).join(' ')}`.trim());
    if (statuses.length === 0) return [];
    const weights = { main: { ...this.routes.main }, preview: { ...this.routes.preview } };
    return [{ environment, service: this.service, port: this.port, previewPort: this.previewPort, revisions: statuses, weights }];
  }

  async startRevision(spec: RevisionSpec): Promise<void> {
    this.expect(spec.environment, spec.service);
    this.record(`start r${spec.revision}`);
    const known = this.revisions.get(spec.revision);
    if (known && known.phase !== RevisionPhase.Stopped) return;
    this.revisions.set(spec.revision, { script: this.scripts.get(spec.revision) ?? {}, phase: RevisionPhase.Starting, looks: 0, replicas: spec.replicas });
  }

  async setWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<void> {
    this.expect(environment, service);
    this.record(`weights ${route} ${JSON.stringify(weights)}`);
    const values = Object.values(weights);
    const sum = values.reduce((a, b) => a + b, 0);
    if (values.some((w) => !Number.isInteger(w) || w < 0 || w > 100) || (sum !== 100 && sum !== 0)) this.violate(`weights ${JSON.stringify(weights)} do not add up to 100`);
    for (const [revision, weight] of Object.entries(weights)) {
      const phase = this.revisions.get(Number(revision))?.phase;
      if (route === 'main' && weight > 0 && phase !== RevisionPhase.Ready) this.violate(`main traffic to r${revision}, which is ${phase ?? 'unknown'}`);
    }
    this.routes[route] = { ...weights };
  }

  // A fake revision writes nothing: its log is empty, but the contract's call is answered.
  logs(_environment: string, _service: string, revision: number, _lines: number): Promise<string[]> {
    this.calls.push(`logs r${revision}`);
    return Promise.resolve([]);
  }

  async stopRevision(environment: string, service: string, revision: number): Promise<void> {
    this.expect(environment, service);
    this.record(`stop r${revision}`);
    if ((this.routes.main[String(revision)] ?? 0) > 0) this.violate(`stopping r${revision}, which still serves main traffic`);
    const known = this.revisions.get(revision);
    if (known) known.phase = RevisionPhase.Stopped;
  }

  async traffic(environment: string, service: string): Promise<RevisionTraffic[]> {
    this.expect(environment, service);
    this.calls.push('traffic');
    return Object.keys(this.routes.main).map((r) => ({ revision: Number(r), requests: 0, status: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, errors: 0, latencyBuckets: {} }));
  }

  async url(environment: string, service: string, route: RouteName): Promise<string> {
    this.expect(environment, service);
    this.calls.push(`url ${route}`);
    return `http://127.0.0.1:${route === 'main' ? this.port : this.previewPort}`;
  }

  capabilities(): TargetCapabilities {
    return { weightedRouting: true, headerRouting: false, preview: true, rollsItself: false };
  }

  /** Applies weights at once, as the local router does; `verify` calls are observations, not changes. */
  async verifyWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<WeightsCheck> {
    this.expect(environment, service);
    this.calls.push(`verify ${route}`);
    const actual = Object.fromEntries(Object.entries(this.routes[route]).filter(([, w]) => w > 0));
    return { applied: sameWeights(actual, weights), actual };
  }

  async endpoint(environment: string, service: string, route: RouteName): Promise<Endpoint> {
    this.expect(environment, service);
    this.calls.push(`endpoint ${route}`);
    return { url: `http://127.0.0.1:${route === 'main' ? this.port : this.previewPort}`, reachableFrom: 'control-plane' };
  }

  /** One look at a revision: the world moves on only when a strategy looks (no real time). */
  private look(revision: number, r: FakeRevision): RevisionStatus {
    if (r.phase !== RevisionPhase.Stopped) r.phase = scriptedPhase(r.script, ++r.looks);
    const running = r.phase !== RevisionPhase.Stopped && r.phase !== RevisionPhase.CrashLoop;
    const lastError = r.phase === RevisionPhase.Ready ? null : (r.script.lastError ?? DEFAULT_ERRORS[r.phase] ?? null);
    const restarts = r.phase === RevisionPhase.CrashLoop ? 5 : r.phase === RevisionPhase.Crashed ? 1 : 0;
    const ports = running ? Array.from({ length: r.replicas }, (_, i) => 15000 + revision * 10 + i) : [];
    return { revision, release: `rel${revision}`, digest: `sha256:${revision}`, phase: r.phase, restarts, ports, lastError };
  }

  private record(call: string): void {
    if (this.crashes.delete(call)) throw new Error(`simulated control-plane crash before: ${call}`);
    this.calls.push(call);
  }

  private violate(what: string): never {
    this.violations.push(what);
    throw new Error(`invariant 3 broken: ${what}`);
  }

  private expect(environment: string, service: string): void {
    if (environment !== this.environment || service !== this.service) throw new Error(`the fake serves ${this.environment}/${this.service}, not ${environment}/${service}`);
  }
}

function scriptedPhase(script: RevisionScript, looks: number): RevisionPhase {
  const readyAfter = script.readyAfter ?? 0;
  if (script.neverReady || looks <= readyAfter) return RevisionPhase.Starting;
  if (script.crashLoop) return RevisionPhase.CrashLoop;
  const checks = looks - readyAfter;
  return script.breaksAfter && checks > script.breaksAfter.checks ? script.breaksAfter.phase : RevisionPhase.Ready;
}

/** What withManagedResources' targets were asked to apply, in order. */
export interface AppliedResources {
  readonly environment: string;
  readonly resources: ManagedResources;
}

/**
 * A real target kind (the local one) whose targets also have resources()/applyResources(), as a
 * Kubernetes target has: deployments really run, and the objects are what `objects(environment)`
 * returns at each call. Every applyResources call is recorded in `applied`.
 */
export function withManagedResources(kind: TargetKind, objects: (environment: string) => ManagedResources): TargetKind & { readonly applied: AppliedResources[] } {
  const applied: AppliedResources[] = [];
  const wrap = (target: Target): Target =>
    new Proxy(target, {
      get(t, property) {
        if (property === 'resources') return (environment: string) => Promise.resolve(objects(environment));
        if (property === 'applyResources') {
          return (environment: string, resources: ManagedResources) => {
            applied.push({ environment, resources });
            return Promise.resolve([...resources.objects]);
          };
        }
        const value: unknown = Reflect.get(t, property, t);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(t) : value;
      },
    });
  return {
    kind: kind.kind,
    applied,
    get: async (name) => wrap(await kind.get(name)),
    traffic: (name) => kind.traffic(name),
    observe: async (name) => {
      const target = await kind.observe(name);
      return target && wrap(target);
    },
    observeTraffic: (name) => kind.observeTraffic(name),
  };
}
