/**
 * The target contract: what a deployment strategy may ask of the place services run.
 * The local target talks to a `gantry agent` over HTTP; a Kubernetes target will implement the
 * same contract with Deployments and Services. Strategies import only this file.
 */

/** Which listener of a service: `main` carries user traffic, `preview` reaches a candidate before the switch. */
export type RouteName = 'main' | 'preview';

export interface ArtifactRef {
  /** sha256:… digest of the bundle; the target verifies it before starting anything. */
  readonly digest: string;
  /** Where the target can read the bundle (an OCI image layout folder for the local target). */
  readonly layout: string;
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
}

export const RevisionPhase = {
  Starting: 'starting',
  Ready: 'ready',
  Unhealthy: 'unhealthy',
  /** Exited and is being restarted with backoff. */
  Crashed: 'crashed',
  /** Restarted too often in a short time: it will not be tried again. */
  CrashLoop: 'crash-loop',
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
  /** Ports of the revision's replicas (loopback), for direct checks. */
  readonly ports: readonly number[];
  readonly lastError: string | null;
  /** Replicas in the router's rotation now (ready); absent from a target that does not say. */
  readonly readyReplicas?: number;
  /** How often a replica was taken out of rotation by its readiness probe since the revision started. */
  readonly outOfRotation?: number;
}

export interface ServiceStatus {
  readonly environment: string;
  readonly service: string;
  /** The port users reach the service on, and the preview port (for blue-green). */
  readonly port: number;
  readonly previewPort: number | undefined;
  readonly revisions: readonly RevisionStatus[];
  /** Revision → weight (0–100) on each route; revisions not listed get none. */
  readonly weights: Readonly<Record<RouteName, Readonly<Record<string, number>>>>;
}

/** Counters of one revision on one route, as the router measured them, since the revision got traffic. */
export interface RevisionTraffic {
  readonly revision: number;
  readonly requests: number;
  readonly status: { readonly '2xx': number; readonly '3xx': number; readonly '4xx': number; readonly '5xx': number };
  /**
   * Requests the router could not deliver (connection refused, reset, timeout), counting an attempt
   * the router then retried on another backend: the revision failed it even if the client was answered.
   */
  readonly errors: number;
  /** Cumulative latency histogram: upper bound in ms → count. */
  readonly latencyBuckets: Readonly<Record<string, number>>;
}

export interface Target {
  readonly name: string;
  /** Actual state of every service of an environment, from the target itself (not from Gantry's store). */
  describe(environment: string): Promise<ServiceStatus[]>;
  /** Starts a revision without traffic; repeating it for a running revision does nothing. */
  startRevision(spec: RevisionSpec): Promise<void>;
  /** Sets the weights of a route in one step (atomic for users); in-flight requests finish where they were. */
  setWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<void>;
  /** Stops a revision (SIGTERM, then SIGKILL after the grace period); stopping a stopped one does nothing. */
  stopRevision(environment: string, service: string, revision: number): Promise<void>;
  traffic(environment: string, service: string): Promise<RevisionTraffic[]>;
  /** Base URL of a service's route as users (or checks) reach it. */
  url(environment: string, service: string, route: RouteName): Promise<string>;
}
