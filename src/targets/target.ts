/**
 * The target contract: what a deployment strategy may ask of the place services run.
 * The local target talks to a `gantry agent` over HTTP; a Docker host or Kubernetes target will
 * implement the same contract with containers, Deployments and Services, none of them on the
 * control plane's machine: so an artifact is a reference the target fetches itself, an endpoint
 * says from where it can be reached, and routers that apply weights eventually are checked with
 * verifyWeights. Strategies import only this file. Every target kind passes the contract suite in
 * test/support/target-contract.ts.
 */

/** Which listener of a service: `main` carries user traffic, `preview` reaches a candidate before the switch. */
export type RouteName = 'main' | 'preview';

export interface ArtifactRef {
  /** sha256:… digest of the bundle's manifest; the target refuses an artifact that is not this one. */
  readonly digest: string;
  /**
   * Where the target fetches it from, ending in `@<digest>`: `oci-layout:<folder>@sha256:…` (an OCI
   * image layout on the target's machine, what the local target reads); a registry reference
   * `host/repo@sha256:…` for the targets that pull images. Built by targets/artifact-ref.ts.
   */
  readonly ref: string;
}

export interface HealthProbe {
  readonly path: string;
  readonly expectStatus: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Readiness: out of rotation after `failureThreshold` failed probes in a row, back after `successThreshold` passes (default 3 and 1). */
  readonly readiness?: { readonly failureThreshold: number; readonly successThreshold: number };
  /** Liveness: restarted after `failureThreshold` failed probes of `path` in a row, once ready (0 or absent: never). */
  readonly liveness?: { readonly path: string; readonly failureThreshold: number };
}

export interface RevisionSpec {
  readonly environment: string;
  readonly service: string;
  /** Per environment and service, increasing: the unit of history and rollback. */
  readonly revision: number;
  /** The run that deploys it, for the target's own records (a Kubernetes annotation); agents are not sent it. */
  readonly run?: number;
  /** The commit the release was built from. */
  readonly release: string;
  readonly artifact: ArtifactRef;
  readonly command: string;
  /** Configured env plus the environment's secrets; the target adds PORT. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The keys of `env` whose values are secrets. The target keeps those values out of everything it
   * writes or shows: the local agent masks them in the revision's output before it reaches a log
   * file; a Kubernetes target would put them in a Secret rather than in the Deployment.
   */
  readonly secretKeys: readonly string[];
  readonly replicas: number;
  readonly health: HealthProbe;
  /** Resource limits per replica, for targets that run containers (the docker runtime); a process target ignores them. */
  readonly limits?: { readonly cpus?: number; readonly memoryBytes?: number };
  /**
   * Credentials for pulling `artifact.ref` from its registry (container targets; a process target
   * ignores them). A secret: never logged, never in an error, never in describe().
   */
  readonly pullAuth?: { readonly username: string; readonly password: string };
}

export const RevisionPhase = {
  Starting: 'starting',
  Ready: 'ready',
  Unhealthy: 'unhealthy',
  /** Exited and is being restarted with backoff. */
  Crashed: 'crashed',
  /** Restarted too often in a short time: it will not be tried again. */
  CrashLoop: 'crash-loop',
  /**
   * The target gave up on it for a reason restarting will not fix: an image it cannot pull, a
   * replica killed for memory, a rollout past its progress deadline (Kubernetes). Final, like
   * crash-loop; `lastError` says which and carries the replica's last lines.
   */
  Failed: 'failed',
  Stopping: 'stopping',
  Stopped: 'stopped',
} as const;
export type RevisionPhase = (typeof RevisionPhase)[keyof typeof RevisionPhase];

export interface RevisionStatus {
  readonly revision: number;
  readonly release: string;
  readonly digest: string;
  readonly phase: RevisionPhase;
  readonly restarts: number;
  /** Ports of the revision's replicas on the target's host, for messages; a target without per-replica ports reports none. Checks use endpoints. */
  readonly ports: readonly number[];
  readonly lastError: string | null;
  /** Replicas in the router's rotation now (ready); absent from a target that does not say. */
  readonly readyReplicas?: number;
  /** How often a replica was taken out of rotation by its readiness probe since the revision started. */
  readonly outOfRotation?: number;
  /** The target's own name for the revision, shown beside Gantry's: a Kubernetes ReplicaSet and its rollout revision ("api-7d9f6c (revision 3)"). */
  readonly targetRevision?: string;
  /** Each replica as the target sees it (a pod, a container), for `gantry status`; absent from a target that does not say. */
  readonly replicas?: readonly ReplicaStatus[];
}

export interface ReplicaStatus {
  /** The pod's or container's name. */
  readonly name: string;
  /** The target's own word for its state: Running, Pending, CrashLoopBackOff, ImagePullBackOff, OOMKilled… */
  readonly state: string;
  readonly ready: boolean;
  readonly restarts: number;
  /** Where it runs: a node, a host. */
  readonly node?: string;
}

/** Something the target recorded about a service (a Kubernetes Event): warnings are what `gantry status` shows. */
export interface TargetEvent {
  /** ISO time it last happened. */
  readonly at: string;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  /** What it is about, kind/name (Pod/api-7d9f6c-x2k4p). */
  readonly object: string;
  readonly count: number;
}

/**
 * Every object a target manages for an environment, as the target's own manifests (a Kubernetes
 * target: Deployments, Services, ConfigMaps as YAML; Secrets by name and version only, never
 * values): what a backup keeps, `gantry backup export` writes and a restore applies again.
 */
export interface ManagedResources {
  readonly format: 'kubernetes-yaml';
  /** A multi-document YAML stream `kubectl apply -f` accepts. */
  readonly yaml: string;
  /** kind/name of each object, for listings. */
  readonly objects: readonly string[];
}

/**
 * Where a route can be reached from. `control-plane`: the server's own checks (health, smoke, load,
 * the dashboard) may call `url`; `target`: only from the target's own network (a cluster-internal
 * Service), so checks must run there. The local target's routes listen on this machine's loopback,
 * where the control plane runs: `control-plane`.
 */
export interface Endpoint {
  readonly url: string;
  readonly reachableFrom: 'control-plane' | 'target';
}

/** What a target can really do; a strategy must not ask a target for what it lacks (the contract suite checks each claim). */
export interface TargetCapabilities {
  /** A route can split traffic between revisions by weight (0–100), not only switch it whole. */
  readonly weightedRouting: boolean;
  /** A route can send requests to a revision by a request header (header-based canary). */
  readonly headerRouting: boolean;
  /** A service may have a preview route that reaches a candidate before users do (blue-green). */
  readonly preview: boolean;
  /**
   * The target replaces a service's running revision by its own rolling update (a Kubernetes
   * Deployment's RollingUpdate): startRevision of a new revision starts that update, the revision
   * is reported ready once the update completed, the main route's weights are the shares of ready
   * replicas, and setWeights(main, {r: 100}) for an earlier revision undoes to it (`kubectl rollout
   * undo`). The rolling strategy then watches the update instead of shifting weights itself.
   */
  readonly rollsItself: boolean;
  /**
   * Chaos checks: injectFaults, clearFaults and killReplica are implemented, and faults end by
   * themselves on the target when their time is up. Absent: false.
   */
  readonly faults?: boolean;
}

/**
 * Faults a chaos check puts on a service's main route: a share (0..1) of requests delayed by `ms`,
 * answered with `status` without reaching the service, or their connection reset.
 */
export interface FaultSpec {
  readonly latency?: { readonly ms: number; readonly share: number };
  readonly abort?: { readonly status: number; readonly share: number };
  readonly reset?: { readonly share: number };
}

/** What faults did while on: requests seen by the route, and how many each fault hit. */
export interface FaultReport {
  readonly faults: FaultSpec;
  /** Epoch ms the faults end (or ended) by themselves. */
  readonly expiresAt: number;
  readonly counts: { readonly seen: number; readonly delayed: number; readonly aborted: number; readonly reset: number };
}

/** The replica a chaos check killed. */
export interface KilledReplica {
  /** As `gantry status` names it: `api-r7-0`. */
  readonly replica: string;
  readonly index: number;
  readonly pid: number;
  /** Its restarts before the kill: it is back once its revision reports more and it is ready again. */
  readonly restartsBefore: number;
}

/**
 * Requests on a service's main route that carry this header (or cookie) with this value go to
 * `revision`, whatever the weights say: testers reach a canary before users do. Only on targets whose
 * capabilities say `headerRouting`.
 */
export type RouteMatch =
  | { readonly header: string; readonly value: string; readonly revision: number }
  | { readonly cookie: string; readonly value: string; readonly revision: number };

/** verifyWeights' answer: whether the router serves the weights asked for, and what it serves now. */
export interface WeightsCheck {
  readonly applied: boolean;
  /** Revision → weight as the router reports it (revisions with no weight left out). */
  readonly actual: Readonly<Record<string, number>>;
}

export interface ServiceStatus {
  readonly environment: string;
  readonly service: string;
  /** The local target's ports on this machine (the main route's, and the preview route's for blue-green); other targets report `endpoints` only. */
  readonly port?: number;
  readonly previewPort?: number | undefined;
  /** Where each route of the service is reached; `preview` only when the service has a preview route. */
  readonly endpoints?: { readonly main: Endpoint; readonly preview?: Endpoint };
  readonly revisions: readonly RevisionStatus[];
  /** Revision → weight (0–100) on each route; revisions not listed get none. */
  readonly weights: Readonly<Record<RouteName, Readonly<Record<string, number>>>>;
  /** The main route's match rule in force (RouteMatch), absent when none is set or the target has none. */
  readonly match?: RouteMatch;
}

// The router's counters are the metrics' vocabulary (metrics/traffic.ts); a target kind supplies them.
export type { RevisionTraffic, TrafficSource } from '../metrics/traffic.js';

export interface Target {
  readonly name: string;
  /** What this target really does (see TargetCapabilities). */
  capabilities(): TargetCapabilities;
  /** Actual state of every service of an environment, from the target itself (not from Gantry's store). */
  describe(environment: string): Promise<ServiceStatus[]>;
  /** Starts a revision without traffic; repeating it for a running revision does nothing. */
  startRevision(spec: RevisionSpec): Promise<void>;
  /**
   * Sets the weights of a route in one step (atomic for users); in-flight requests finish where they
   * were. A router may apply them later than this call returns (a Kubernetes ingress, a Docker
   * proxy reloading): strategies call verifyWeights after it, and move on only once it says `applied`.
   */
  setWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<void>;
  /**
   * Whether the route serves exactly these weights now (zero weights count as absent). A strategy
   * must call it after every setWeights and, while `applied` is false, wait and ask again on its
   * next pass, never stacking another change on one not yet in force. The local router applies weights
   * before setWeights returns, so its answer (read from describe()) is `applied` at once.
   */
  verifyWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<WeightsCheck>;
  /** Sets (or, with null, clears) the service's match rule on its main route (see RouteMatch); only where `capabilities().headerRouting`. */
  setMatch?(environment: string, service: string, match: RouteMatch | null): Promise<void>;
  /**
   * Chaos checks (only where `capabilities().faults`): turns faults on for the service's main route
   * for `durationMs`, replacing any on; the target ends them itself when the time is up, so a
   * control plane that dies meanwhile leaves none behind.
   */
  injectFaults?(environment: string, service: string, faults: FaultSpec, durationMs: number): Promise<FaultReport>;
  /** Ends the service's faults now; answers what the last ones did (null: it never had any). */
  clearFaults?(environment: string, service: string): Promise<FaultReport | null>;
  /** Kills one replica of the revision at once (SIGKILL), as a crash: the target restarts it as it restarts any crash. */
  killReplica?(environment: string, service: string, revision: number): Promise<KilledReplica>;
  /** Stops a revision (SIGTERM, then SIGKILL after the grace period); stopping a stopped one does nothing. */
  stopRevision(environment: string, service: string, revision: number): Promise<void>;
  /**
   * The last `lines` lines a revision wrote (stdout and stderr of its replicas, secret values masked
   * by the target), for `gantry logs <env>/<service>`: a process's log file, a container's output.
   */
  logs(environment: string, service: string, revision: number, lines: number): Promise<string[]>;
  /**
   * Every object the target manages for the environment (see ManagedResources); absent on targets
   * whose backups are Gantry's own records only (local, docker).
   */
  resources?(environment: string): Promise<ManagedResources>;
  /** Applies again what resources() returned (a restore); resolves with the kind/name of each object applied. */
  applyResources?(environment: string, resources: ManagedResources): Promise<string[]>;
  /** Recent events about the environment's services, newest last (a Kubernetes target: the namespace's Events); absent on targets that keep none. */
  events?(environment: string, service?: string): Promise<TargetEvent[]>;
  /** Where a service's route is reached, and from where (see Endpoint). */
  endpoint(environment: string, service: string, route: RouteName): Promise<Endpoint>;
  /**
   * Base URL of a route for the control plane's own checks: the endpoint's url when it is reachable
   * from the control plane; a TargetError TARGET_ENDPOINT_UNREACHABLE otherwise (controlPlaneUrl in
   * targets/endpoint.ts does this for any target).
   */
  url(environment: string, service: string, route: RouteName): Promise<string>;
}
