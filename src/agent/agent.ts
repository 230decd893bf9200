import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { OciLayout } from '../artifacts/oci-layout.js';
import { GantryError } from '../errors/index.js';
import { parseArtifactRef } from '../targets/artifact-ref.js';
import type { SecretKey } from '../secrets/crypto.js';
import { loadOrCreateKeyFile } from '../secrets/master-key.js';
import { asUserCommand, chownTree, type RunAsUser } from '../secrets/run-as.js';
import type { RevisionPhase, RevisionSpec, RevisionStatus, RevisionTraffic, RouteMatch, RouteName, ServiceStatus } from '../targets/target.js';
import type { MatchRule } from './router/match-rule.js';
import { secretValuesOf } from './revision-secrets.js';
import type { RouteFaultsStatus, RouterControl } from './router-link/router-control.js';
import type { FaultSpec, FaultStatus } from './router/faults.js';
import { killOneReplica, type KilledReplica } from './router/faults-agent.js';
import type { ServedService } from './served.js';
import { routeId } from './served.js';
import { AgentStateFile, type PersistedService } from './state-file.js';
import { StateWriter, type StateWriteStatus } from './state-writer.js';
import { containerName } from './containers/container-config.js';
import type { ContainerSpec } from './containers/container-spec.js';
import type { ReplicaRuntime } from './replica-runtime.js';
import type { ProcessSpec, ProcessStatus } from './supervisor/supervisor.js';

interface LiveRevision {
  readonly spec: RevisionSpec;
  readonly ports: number[];
}

interface LiveService {
  /** Replaced when the control plane tells a new connection limit; its ports never change while the agent runs. */
  served: ServedService;
  readonly revisions: Map<number, LiveRevision>;
  weights: Record<RouteName, Record<string, number>>;
  /** Requests on the main route matching the rule go to this revision (a canary for testers); null: none. */
  match: RouteMatch | null;
}

export interface AgentOptions {
  /** Routes to serve from the start (the agent command's --config); more come from the control plane (configureRoutes) and the state file. */
  readonly served: readonly ServedService[];
  readonly dataDir: string;
  /** Where revisions are unpacked (default `<dataDir>/revisions`); the server puts them outside its data folder. */
  readonly revisionsDir?: string;
  /** Revisions run as this user (the agent is root); null or left out: as the agent's user. */
  readonly runAs?: RunAsUser | null;
  readonly router: RouterControl;
  /** What runs the replicas: the process Supervisor, or the docker ContainerRuntime (`gantry agent --runtime docker`). */
  readonly runtime: ReplicaRuntime;
  readonly logger: Logger;
}

const PHASE_ORDER: readonly RevisionPhase[] = ['failed', 'crash-loop', 'crashed', 'unhealthy', 'starting', 'stopping', 'ready', 'stopped'];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The data plane of the local target: revisions as processes (supervisor) or as containers (the
 * docker runtime, containers/) behind one listener per environment × service (router). Its state is written to disk on every change, so its own restart
 * restores the same revisions and routing; it never needs the control plane to keep serving.
 */
export class Agent {
  private readonly services = new Map<string, LiveService>();
  /** The backends last given to each route, so a phase change that alters nothing does not reset its picker. */
  private readonly routed = new Map<string, string>();
  private readonly stateFile: AgentStateFile;

  private constructor(private readonly o: AgentOptions, stateKey: SecretKey) {
    this.stateFile = new AgentStateFile(join(o.dataDir, 'state.json'), stateKey);
    for (const served of o.served) this.services.set(`${served.environment}/${served.service}`, { served, revisions: new Map(), weights: { main: {}, preview: {} }, match: null });
  }

  /** Opens the listeners of a route (and tells the router its connection limit first). */
  private async listen(served: ServedService): Promise<void> {
    const { environment, service } = served;
    this.o.router.limit(routeId(environment, service, 'main'), served.maxConnections);
    await this.o.router.listen(routeId(environment, service, 'main'), served.port);
    if (served.previewPort === undefined) return;
    this.o.router.limit(routeId(environment, service, 'preview'), served.maxConnections);
    await this.o.router.listen(routeId(environment, service, 'preview'), served.previewPort);
  }

  /**
   * The routes the control plane says this agent serves (targets/local/route-layout.ts): new ones
   * are listened on and kept in the state file; a known one keeps its ports (moving a port needs the
   * agent restarted, as before) and takes a new connection limit. Saying the same again does nothing.
   */
  async configureRoutes(routes: readonly ServedService[]): Promise<void> {
    for (const served of routes) {
      const key = `${served.environment}/${served.service}`;
      const known = this.services.get(key);
      if (known && (known.served.port !== served.port || known.served.previewPort !== served.previewPort)) {
        throw new GantryError('CONFLICT', `${key} is served on port ${known.served.port}${known.served.previewPort === undefined ? '' : ` (preview ${known.served.previewPort})`}, not ${served.port}${served.previewPort === undefined ? '' : ` (preview ${served.previewPort})`}`, {
          hint: 'A route keeps its port while its agent runs: stop the agent (gantry server closing with its agents) and let Gantry start it again.',
        });
      }
      if (known) known.served = served;
      else this.services.set(key, { served, revisions: new Map(), weights: { main: {}, preview: {} }, match: null });
      await this.listen(served);
    }
    await this.save();
  }

  static async start(o: AgentOptions): Promise<Agent> {
    await mkdir(o.dataDir, { recursive: true });
    // The agent's own key (mode 0600), for the secrets in its state file; the control plane's key stays there.
    const agent = new Agent(o, await loadOrCreateKeyFile(join(o.dataDir, 'state.key')));
    // Routes first, listeners after: a restarted agent must never answer NO_BACKEND for a route it had.
    await agent.restore();
    for (const s of agent.services.values()) await agent.listen(s.served);
    return agent;
  }

  /**
   * Brings back what the previous agent process ran: a replica whose process still runs (same pid and
   * start time, in its containment) is adopted, with its pid, port and output; one that died meanwhile
   * is started again on its port, after whatever of it is left is killed; routes are restored.
   */
  // eslint-disable-next-line @typescript-eslint/no-unused-private-class-members -- called by the static `start` on the new instance, which the rule does not see
  private async restore(): Promise<void> {
    const saved = await this.stateFile.read();
    for (const persisted of saved) {
      const key = `${persisted.environment}/${persisted.service}`;
      // A route the control plane told an earlier agent comes back with it; the routes given at start win.
      if (!this.services.has(key) && persisted.route) this.services.set(key, { served: persisted.route, revisions: new Map(), weights: { main: {}, preview: {} }, match: null });
      const live = this.services.get(key);
      if (!live) continue;
      let adopted = 0;
      for (const r of persisted.revisions) {
        live.revisions.set(r.spec.revision, { spec: r.spec, ports: r.ports });
        const dir = this.revisionDir(r.spec);
        for (const [i, port] of r.ports.entries()) {
          const recorded = { pid: r.pids[i] ?? 0, startTime: r.startTimes?.[i] ?? null };
          if ((await this.o.runtime.adopt(this.processSpec(r.spec, dir, port, i), recorded)).adopted) adopted += 1;
        }
      }
      live.weights = persisted.weights;
      live.match = persisted.match ?? null;
      this.route(live, 'main');
      this.route(live, 'preview');
      this.o.logger.info({ environment: persisted.environment, service: persisted.service, adopted }, 'restored revisions and routes from the last run');
    }
  }

  private service(environment: string, service: string): LiveService {
    const live = this.services.get(`${environment}/${service}`);
    if (!live) {
      const known = [...new Set([...this.services.values()].map((s) => s.served.environment))];
      throw new GantryError('ENVIRONMENT_NOT_SERVED', `this agent does not serve ${environment}/${service}`, {
        hint: `It serves: ${known.join(', ') || 'nothing'}. Each environment names its target in gantry.yaml.`,
      });
    }
    return live;
  }

  describe(environment: string): ServiceStatus[] {
    const out: ServiceStatus[] = [];
    for (const s of this.services.values()) {
      if (s.served.environment !== environment) continue;
      out.push({
        environment,
        service: s.served.service,
        port: s.served.port,
        previewPort: s.served.previewPort,
        revisions: [...s.revisions.values()].map((r) => this.revisionStatus(r)),
        weights: { main: { ...s.weights.main }, preview: { ...s.weights.preview } },
        ...(s.match === null ? {} : { match: s.match }),
      });
    }
    if (out.length === 0) this.service(environment, '');
    return out;
  }

  private revisionStatus(r: LiveRevision): RevisionStatus {
    const statuses = r.ports.map((_, i) => this.o.runtime.status(processId(r.spec, i))).filter((s): s is ProcessStatus => s !== undefined);
    const phase = statuses.length === 0 ? 'stopped' : (PHASE_ORDER.find((p) => statuses.some((s) => s.phase === p)) ?? 'starting');
    return {
      revision: r.spec.revision,
      release: r.spec.release,
      digest: r.spec.artifact.digest,
      phase,
      restarts: statuses.reduce((n, s) => n + s.restarts, 0),
      ports: r.ports,
      lastError: statuses.find((s) => s.lastError)?.lastError ?? null,
      readyReplicas: statuses.filter((s) => s.phase === 'ready').length,
      outOfRotation: statuses.reduce((n, s) => n + s.outOfRotation, 0),
      // Each replica for `gantry status`, named by service, revision and index (a process or a container).
      replicas: statuses.map((s, i) => ({ name: `${r.spec.service}-r${r.spec.revision}-${i}`, state: s.phase, ready: s.phase === 'ready', restarts: s.restarts })),
    };
  }

  async startRevision(spec: RevisionSpec): Promise<void> {
    const live = this.service(spec.environment, spec.service);
    const existing = live.revisions.get(spec.revision);
    if (existing) {
      if (existing.spec.artifact.digest !== spec.artifact.digest) {
        throw new GantryError('CONFLICT', `revision ${spec.revision} of ${spec.environment}/${spec.service} already runs another artifact`, { hint: 'Revision numbers are never reused; this is a control-plane bug.' });
      }
      const phase = this.revisionStatus(existing).phase;
      if (phase !== 'stopped') return;
    }
    // The docker runtime checks and pulls its image itself; the process runtime runs the unpacked bundle.
    if (this.o.runtime.prepare) await this.o.runtime.prepare(spec);
    else await this.unpack(spec, this.revisionDir(spec));
    const ports = existing?.ports ?? (await Promise.all(Array.from({ length: spec.replicas }, () => freePort())));
    const revision = { spec, ports };
    live.revisions.set(spec.revision, revision);
    this.launch(spec, ports);
    await this.save();
  }

  /** Verifies the artifact's digest before anything starts, then unpacks it once. */
  private async unpack(spec: RevisionSpec, dir: string): Promise<void> {
    // The agent fetches the artifact itself, from where its ref says, and only if the ref names the digest.
    const source = parseArtifactRef(spec.artifact.ref, spec.artifact.digest);
    const marker = join(dir, '.gantry-digest');
    if (existsSync(marker) && (await readFile(marker, 'utf8')) === spec.artifact.digest) return;
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await new OciLayout(source.folder).unpack(source.digest, dir);
    await writeFile(marker, spec.artifact.digest);
    // The service may write where it runs (caches, uploads), as its own user.
    if (this.o.runAs) await chownTree(dir, this.o.runAs);
  }

  private revisionDir(spec: RevisionSpec): string {
    return join(this.o.revisionsDir ?? join(this.o.dataDir, 'revisions'), spec.environment, spec.service, `r${spec.revision}`);
  }

  private launch(spec: RevisionSpec, ports: readonly number[]): void {
    const dir = this.revisionDir(spec);
    ports.forEach((port, i) => this.o.runtime.start(this.processSpec(spec, dir, port, i)));
  }

  private processSpec(spec: RevisionSpec, dir: string, port: number, replica: number): ProcessSpec {
    // A container runs as its image's user; the host's run-as user means nothing inside it.
    const user = this.o.runtime.kind === 'docker' ? null : this.o.runAs;
    return {
      id: processId(spec, replica),
      command: user ? asUserCommand(user, spec.command) : spec.command,
      cwd: dir,
      env: {
        ...BASE_ENV,
        ...(user ? { HOME: dir, USER: user.name, LOGNAME: user.name } : {}),
        ...spec.env,
        PORT: String(port),
        GANTRY_ENVIRONMENT: spec.environment,
        GANTRY_SERVICE: spec.service,
        GANTRY_REVISION: String(spec.revision),
        GANTRY_RELEASE: spec.release,
      },
      port,
      health: spec.health,
      secretValues: secretValuesOf(spec),
      ...(this.o.runtime.kind === 'docker' ? { container: containerPart(spec, port, replica) } : {}),
      logFile: join(this.o.dataDir, 'logs', spec.environment, spec.service, `r${spec.revision}-${replica}.log`),
      // In the data folder, so the next agent reads on from the FIFOs of the processes it adopts.
      pipeDir: join(this.o.dataDir, 'pipes'),
    };
  }

  async setWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<void> {
    const live = this.service(environment, service);
    if (route === 'preview' && live.served.previewPort === undefined) {
      throw new GantryError('BAD_REQUEST', `${environment}/${service} has no preview route`, { hint: 'Preview routes exist for blue-green environments.' });
    }
    for (const rev of Object.keys(weights)) {
      if (!live.revisions.has(Number(rev))) throw new GantryError('NOT_FOUND', `${environment}/${service} has no revision ${rev}`, { hint: 'Start the revision before routing to it.' });
    }
    live.weights[route] = Object.fromEntries(Object.entries(weights).filter(([, w]) => w > 0));
    this.route(live, route);
    // Answered only once the router applies it: the control plane measures the switch right after.
    await this.o.router.flush();
    await this.save();
  }

  /** Sets (null: clears) the main route's match rule: matching requests go to the rule's revision, whatever the weights. */
  async setMatch(environment: string, service: string, match: RouteMatch | null): Promise<void> {
    const live = this.service(environment, service);
    if (match !== null && !live.revisions.has(match.revision)) throw new GantryError('NOT_FOUND', `${environment}/${service} has no revision ${match.revision}`, { hint: 'Start the revision before routing to it.' });
    live.match = match;
    this.route(live, 'main');
    await this.o.router.flush();
    await this.save();
  }

  /**
   * One atomic router update for the route: the ready replicas of each weighted revision share its
   * weight; a replica that is starting, unhealthy (its readiness failed) or crashed gets none. When
   * no replica of the route is ready (an agent that just restarted them, or every one failing its
   * probe), all of them stay in: a chance of an answer beats a certain 503 (Envoy's panic mode).
   */
  private route(live: LiveService, route: RouteName): void {
    if (route === 'preview' && live.served.previewPort === undefined) return;
    const replicas = Object.entries(live.weights[route]).flatMap(([rev, weight]) => {
      const revision = live.revisions.get(Number(rev));
      if (!revision) return [];
      return revision.ports.map((port, i) => ({ rev, weight, port, i, ready: this.o.runtime.status(processId(revision.spec, i))?.phase === 'ready' }));
    });
    const matched = route === 'main' ? this.matchedReplicas(live, replicas) : [];
    const all = [...replicas, ...matched];
    const inRotation = all.some((r) => r.ready) ? all.filter((r) => r.ready) : all;
    const rule = live.match === null ? undefined : ruleOf(live.match);
    const backends = inRotation.map((r) => {
      const share = inRotation.filter((other) => other.rev === r.rev).length;
      return { id: `${r.rev}/${r.i}`, url: `http://127.0.0.1:${r.port}`, weight: r.weight / share, ...(rule !== undefined && r.rev === String(live.match?.revision) ? { match: rule } : {}) };
    });
    const id = routeId(live.served.environment, live.served.service, route);
    const key = JSON.stringify(backends);
    if (this.routed.get(id) === key) return;
    this.o.router.setBackends(id, backends);
    this.routed.set(id, key);
  }

  /** The match revision's replicas that the weights do not list already (they join the route with no weight of their own). */
  private matchedReplicas(live: LiveService, weighted: ReadonlyArray<{ rev: string }>): Array<{ rev: string; weight: number; port: number; i: number; ready: boolean }> {
    const rev = live.match === null ? undefined : String(live.match.revision);
    const revision = rev === undefined ? undefined : live.revisions.get(Number(rev));
    if (rev === undefined || revision === undefined || weighted.some((r) => r.rev === rev)) return [];
    return revision.ports.map((port, i) => ({ rev, weight: 0, port, i, ready: this.o.runtime.status(processId(revision.spec, i))?.phase === 'ready' }));
  }

  /** A replica changed phase (the supervisor says so): its routes follow its readiness, and the state file its pid. */
  processChanged(status: ProcessStatus): void {
    const [environment = '', service = ''] = status.id.split('/');
    const live = this.services.get(`${environment}/${service}`);
    if (live) {
      try {
        this.route(live, 'main');
        this.route(live, 'preview');
      } catch (error: unknown) {
        this.o.logger.error({ err: error, process: status.id }, 'updating the routes after a phase change failed');
      }
    }
    void this.save();
  }

  async stopRevision(environment: string, service: string, revision: number): Promise<void> {
    const live = this.service(environment, service);
    const r = live.revisions.get(revision);
    if (!r) return;
    if ((live.weights.main[String(revision)] ?? 0) > 0) {
      throw new GantryError('CONFLICT', `revision ${revision} of ${environment}/${service} still has traffic`, { hint: 'Move its traffic away (set weights) before stopping it.' });
    }
    delete live.weights.preview[String(revision)];
    if (live.match?.revision === revision) live.match = null;
    this.route(live, 'main');
    this.route(live, 'preview');
    await this.o.router.flush();
    await Promise.all(r.ports.map((_, i) => this.o.runtime.stop(processId(r.spec, i))));
    live.revisions.delete(revision);
    await this.save();
  }

  async traffic(environment: string, service: string): Promise<RevisionTraffic[]> {
    this.service(environment, service);
    const byRevision = new Map<number, { requests: number; errors: number; status: Record<'2xx' | '3xx' | '4xx' | '5xx', number>; latencyBuckets: Record<string, number>; latencySumMs: number }>();
    for (const t of await this.o.router.traffic(routeId(environment, service, 'main'))) {
      const rev = Number(t.id.split('/')[0]);
      const acc = byRevision.get(rev) ?? { requests: 0, errors: 0, status: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, latencyBuckets: {}, latencySumMs: 0 };
      acc.requests += t.requests;
      acc.latencySumMs += t.latencySumMs;
      acc.errors += t.errors;
      for (const k of ['2xx', '3xx', '4xx', '5xx'] as const) acc.status[k] += t.status[k];
      for (const [bucket, n] of Object.entries(t.latencyBuckets)) acc.latencyBuckets[bucket] = (acc.latencyBuckets[bucket] ?? 0) + Number(n);
      byRevision.set(rev, acc);
    }
    return [...byRevision.entries()].map(([revision, t]) => ({ revision, ...t }));
  }

  /** A chaos check's faults on the service's main route (router/faults.ts); the router ends them after `durationMs`. */
  async setFaults(environment: string, service: string, faults: FaultSpec, durationMs: number): Promise<FaultStatus> {
    this.service(environment, service);
    return this.o.router.setFaults(routeId(environment, service, 'main'), faults, durationMs);
  }

  async clearFaults(environment: string, service: string): Promise<FaultStatus | null> {
    this.service(environment, service);
    return this.o.router.clearFaults(routeId(environment, service, 'main'));
  }

  async faults(environment: string, service: string): Promise<RouteFaultsStatus> {
    this.service(environment, service);
    return this.o.router.faults(routeId(environment, service, 'main'));
  }

  /** SIGKILL to one replica of the revision, as a crash; the supervisor restarts it (router/faults-agent.ts). */
  killReplica(environment: string, service: string, revision: number): KilledReplica {
    const r = this.service(environment, service).revisions.get(revision);
    if (!r) throw new GantryError('NOT_FOUND', `${environment}/${service} has no revision ${revision}`, { hint: 'Name a revision the agent runs (see gantry status).' });
    return killOneReplica(this.o.runtime, { environment, service, revision }, r.ports.map((_, i) => processId(r.spec, i)));
  }

  async logs(environment: string, service: string, revision: number, lines: number): Promise<string[]> {
    const r = this.service(environment, service).revisions.get(revision);
    if (!r) throw new GantryError('NOT_FOUND', `${environment}/${service} has no revision ${revision}`);
    const out: string[] = [];
    for (let i = 0; i < r.ports.length; i++) out.push(...(await this.o.runtime.logTail(processId(r.spec, i), lines)));
    return out.slice(-lines);
  }

  private stateWriter: StateWriter | undefined;

  /**
   * Resolves once the state file holds every change made before the call. Writes never interleave;
   * a failed one (EMFILE, ENOSPC) is logged, shown by `stateWrite()` and retried until it succeeds.
   */
  save(): Promise<void> {
    this.stateWriter ??= new StateWriter(() => this.writeState(), this.o.logger);
    return this.stateWriter.save();
  }

  /** Whether the state file is up to date, for GET /v1/health. */
  stateWrite(): StateWriteStatus {
    return this.stateWriter?.status() ?? { ok: true, lastError: null, failingSince: null };
  }

  private async writeState(): Promise<void> {
    const services: PersistedService[] = [...this.services.values()].map((s) => ({
      environment: s.served.environment,
      service: s.served.service,
      route: s.served,
      weights: s.weights,
      ...(s.match === null ? {} : { match: s.match }),
      revisions: [...s.revisions.values()].map((r) => ({
        spec: r.spec,
        ports: r.ports,
        pids: r.ports.map((_, i) => this.o.runtime.status(processId(r.spec, i))?.pid ?? 0),
        // With the pid, what tells the next agent that the process it finds is the one recorded (a pid is reused).
        startTimes: r.ports.map((_, i) => this.o.runtime.status(processId(r.spec, i))?.startTime ?? null),
      })),
    }));
    await this.stateFile.write(services);
  }

  /** Stops routing and every revision (agent shutdown; state stays on disk for the next start). */
  async close(options: { stopRevisions: boolean }): Promise<void> {
    if (options.stopRevisions) await this.o.runtime.stopAll();
    await this.o.router.close();
  }
}

/** What a revision inherits from the agent: where to find programs, nothing else (no credentials). */
const BASE_ENV: Record<string, string> = Object.fromEntries(['PATH', 'HOME', 'LANG', 'TZ'].flatMap((k) => (process.env[k] ? [[k, process.env[k] as string]] : [])));

/**
 * The docker runtime's part of a replica: its image, its labels, and its environment split in two:
 * the configured non-secret keys with PORT and GANTRY_* (the container's Env), and the secrets
 * (files on a tmpfs). Nothing of the agent's own environment goes in: the image has its own PATH.
 */
function containerPart(spec: RevisionSpec, port: number, replica: number): ContainerSpec {
  const secret = new Set(spec.secretKeys);
  return {
    name: containerName(spec.environment, spec.service, spec.revision, replica),
    image: spec.artifact.ref,
    digest: spec.artifact.digest,
    labels: {
      'gantry.environment': spec.environment,
      'gantry.service': spec.service,
      'gantry.revision': String(spec.revision),
      'gantry.release': spec.release,
      'gantry.replica': String(replica),
    },
    env: {
      ...Object.fromEntries(Object.entries(spec.env).filter(([key]) => !secret.has(key))),
      PORT: String(port),
      GANTRY_ENVIRONMENT: spec.environment,
      GANTRY_SERVICE: spec.service,
      GANTRY_REVISION: String(spec.revision),
      GANTRY_RELEASE: spec.release,
    },
    secrets: Object.fromEntries(Object.entries(spec.env).filter(([key]) => secret.has(key))),
    limits: spec.limits,
    pullAuth: spec.pullAuth,
  };
}

const processId = (spec: RevisionSpec, replica: number): string => `${spec.environment}/${spec.service}/${spec.revision}/${replica}`;

/** The router's rule for a match: the header or cookie and its value, without the revision (the backends carry that). */
const ruleOf = (match: RouteMatch): MatchRule => ('header' in match ? { header: match.header, value: match.value } : { cookie: match.cookie, value: match.value });
