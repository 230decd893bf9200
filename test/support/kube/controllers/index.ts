import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ClusterState } from '../cluster-state.js';
import { DeploymentController } from './deployment-controller.js';
import { syncEndpoints } from './endpoints-controller.js';
import { EventRecorder } from './events.js';
import { collectGarbage } from './garbage-collector.js';
import { Kubelet } from './kubelet.js';
import { LoadBalancers } from './load-balancer.js';
import { followLines } from './follow-lines.js';
import { resolveInside } from './resolve-inside.js';
import { syncReplicaSets } from './replicaset-controller.js';

export { PORT_ANNOTATION } from './endpoints-controller.js';

export interface ControllerOptions {
  /**
   * Pods' root folders: images are extracted under `<workDir>/images/<digest>/rootfs`. Default: a
   * temporary folder made here and removed by stop().
   */
  readonly workDir?: string;
  readonly logger?: Logger;
  /** How often every controller reconciles (default 100 ms). */
  readonly tickMs?: number;
  /** The crash-loop and image-pull backoff base (the kubelet's 10 s; tests use ~200 ms). */
  readonly backoffBaseMs?: number;
  /** The backoff cap (the kubelet's 5 min). */
  readonly backoffMaxMs?: number;
}

export interface LogOptions {
  readonly container?: string;
  readonly tailLines?: number;
}

export interface Controllers {
  /** Kills every pod's process group and closes the load balancers' listeners. */
  stop(): Promise<void>;
  /** The container's lines (the current or last instance; `previous`: the one before), the last `tailLines` of them. */
  podLogs(namespace: string, pod: string, options: LogOptions & { previous?: boolean }): string[];
  /**
   * The last `tailLines` lines (default none: the API server writes the earlier ones from podLogs
   * first), then each new line, until the container's process exits or `signal` aborts.
   */
  followPodLogs(namespace: string, pod: string, options: LogOptions, signal?: AbortSignal): AsyncIterable<string>;
  /** fetch() from inside the cluster: `http://<svc>.<ns>.svc.cluster.local:<port>/…` or `http://<clusterIP>:<port>/…` to a ready endpoint. */
  fetchInside(url: string, init?: RequestInit): Promise<Response>;
  readonly faults: {
    failPull(imageSubstring: string): void;
    oomKill(namespace: string, pod: string): void;
    clear(): void;
  };
}

export const DEFAULT_TICK_MS = 100;

const NO_LINES: AsyncIterable<string> = { [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) };
export const DEFAULT_BACKOFF_BASE_MS = 10_000;
export const DEFAULT_BACKOFF_MAX_MS = 300_000;

/**
 * Starts the stand-in's control loops over `state`: garbage collector, Deployment and ReplicaSet
 * controllers, the one node's kubelet (real processes), Endpoints, and the load balancers.
 */
export function runControllers(state: ClusterState, options: ControllerOptions = {}): Controllers {
  const events = new EventRecorder(state);
  const ownDir = options.workDir === undefined ? mkdtempSync(join(tmpdir(), 'gantry-kube-node-')) : undefined;
  const kubelet = new Kubelet(state, events, {
    workDir: options.workDir ?? ownDir ?? '',
    backoffBaseMs: options.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS,
    backoffMaxMs: options.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS,
  });
  const deployments = new DeploymentController(state, events);
  const balancers = new LoadBalancers(state);
  const loops: Array<[string, () => void]> = [
    ['garbage collector', () => collectGarbage(state)],
    ['deployment controller', () => deployments.sync()],
    ['replicaset controller', () => syncReplicaSets(state, events)],
    ['kubelet', () => kubelet.sync()],
    ['endpoints controller', () => syncEndpoints(state)],
    ['load balancer', () => balancers.sync()],
  ];
  const tick = (): void => {
    for (const [name, loop] of loops) {
      try {
        loop();
      } catch (error: unknown) {
        // A controller's error is logged and retried next tick, as a real controller requeues.
        options.logger?.warn({ err: error }, `stand-in ${name} failed; retrying`);
      }
    }
  };
  const timer = setInterval(tick, options.tickMs ?? DEFAULT_TICK_MS);
  tick();
  let stopped: Promise<void> | undefined;
  return {
    stop: () => {
      stopped ??= (async () => {
        clearInterval(timer);
        await Promise.all([kubelet.stop(), balancers.stop()]);
        if (ownDir !== undefined) await rm(ownDir, { recursive: true, force: true });
      })();
      return stopped;
    },
    podLogs: (namespace, pod, o) => {
      const proc = kubelet.process(namespace, pod, o.container, o.previous ?? false);
      // Waiting to start (ContainerCreating, a failed pull): no lines yet.
      if (!proc) return [];
      return o.tailLines === undefined ? [...proc.lines] : proc.lines.slice(-o.tailLines || proc.lines.length);
    },
    followPodLogs: (namespace, pod, o, signal) => {
      const proc = kubelet.process(namespace, pod, o.container, false);
      if (!proc) return NO_LINES;
      return followLines(proc, o.tailLines ?? 0, signal ?? new AbortController().signal);
    },
    fetchInside: (url, init) => {
      const target = resolveInside(state, balancers, url);
      return fetch(target, init);
    },
    faults: {
      failPull: (s) => void kubelet.failingPulls.add(s),
      oomKill: (namespace, pod) => {
        const worker = kubelet.worker(namespace, pod);
        if (!worker) throw new Error(`pods "${pod}" not found on standin-node`);
        worker.oomKill();
      },
      clear: () => kubelet.failingPulls.clear(),
    },
  };
}
