import type { ServedRoute } from '../../targets/local/route-layout.js';
import type { FaultSpec, FaultStatus } from '../router/faults.js';
import type { Backend, RouteTraffic } from '../router/types.js';
import type { RouteFaultsStatus } from './router-control.js';

/**
 * What the agent worker asks of the router its parent runs, over Node's IPC channel. Every call
 * carries an id and gets one reply; the channel keeps order, so a reply to a later call means the
 * earlier ones were applied.
 */
export type RouterCall =
  | { readonly op: 'listen'; readonly routeId: string; readonly port: number }
  | { readonly op: 'setBackends'; readonly routeId: string; readonly backends: readonly Backend[] }
  | { readonly op: 'limit'; readonly routeId: string; readonly maxConnections: number | null }
  | { readonly op: 'traffic'; readonly routeId: string }
  | { readonly op: 'setFaults'; readonly routeId: string; readonly faults: FaultSpec; readonly durationMs: number }
  | { readonly op: 'clearFaults'; readonly routeId: string }
  | { readonly op: 'faults'; readonly routeId: string }
  | { readonly op: 'flush' };

export interface RouterRequest {
  readonly kind: 'router';
  readonly id: number;
  readonly call: RouterCall;
}

export interface RouterReply {
  readonly kind: 'router-reply';
  readonly id: number;
  readonly ok: boolean;
  readonly result?: number | RouteTraffic[] | FaultStatus | RouteFaultsStatus | null;
  readonly error?: WireError;
}

/** A GantryError as it crosses the process boundary (no stack, no cause). */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

/** What the parent tells a worker when it starts it. */
export interface WorkerStart {
  readonly kind: 'start';
  /** The routes the agent was started with (more come from the control plane and the state file). */
  readonly routes: readonly ServedRoute[];
  readonly targetName: string;
  readonly dataDir: string;
  readonly host: string;
  /** The control API port: the previous worker's, so the control plane finds the next one where it was. */
  readonly port: number;
  readonly token: string;
  readonly runAs: string | null;
  readonly revisionsDir: string | null;
  /** What runs the replicas (`gantry agent --runtime`): processes (absent: the default) or Docker containers. */
  readonly runtime?: 'process' | 'docker';
  /** The Docker engine's address (`--docker-host`); absent or null: DOCKER_HOST, else the engine's default socket. */
  readonly dockerHost?: string | null;
  /** A remote agent's control API serves HTTPS with these PEM files (`gantry agent --tls-cert/--tls-key`); absent: plain HTTP on loopback. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly parent: ParentFacts;
}

/** The agent parent's own story, which the worker reports in GET /v1/health. */
export interface ParentFacts {
  readonly pid: number;
  readonly startedAt: number;
  readonly workerRestarts: number;
  readonly lastWorkerExit: { readonly at: number; readonly cause: string } | null;
}

/** What a worker tells its parent: started (its control API's URL), or could not start. */
export type WorkerReport = { readonly kind: 'ready'; readonly url: string } | { readonly kind: 'failed'; readonly error: WireError };

export const isRouterRequest = (message: unknown): message is RouterRequest => typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'router';
export const isRouterReply = (message: unknown): message is RouterReply => typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'router-reply';
