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

/**
 * The stand-in cluster's control plane and its one node (`standin-node`), over the ClusterState the
 * API server serves. Not shipped. Each loop reconciles every `tickMs` (default 100 ms), writing to
 * the state as the real components write through the API; status is written only when it changed.
 *
 * Modelled (pinned by test/integration/kube-standin-controllers.test.ts):
 * - Deployment controller: a ReplicaSet per pod template (`<deploy>-<hash>`, pod-template-hash label
 *   in selector and template, controller ownerReference), reused when a template comes back with the
 *   next `deployment.kubernetes.io/revision` and `revision-history`; the Deployment's annotations
 *   copied (not kubectl's last-applied, not deployment.kubernetes.io/*); RollingUpdate (maxSurge up,
 *   maxUnavailable down, both 0 → 1 unavailable), Recreate (the new set only once no old pod is left),
 *   paused, revisionHistoryLimit; status counts, Available and Progressing (NewReplicaSetCreated,
 *   FoundNewReplicaSet, ReplicaSetUpdated, NewReplicaSetAvailable, ProgressDeadlineExceeded,
 *   DeploymentPaused/Resumed); ScalingReplicaSet events.
 * - ReplicaSet controller: pods `<rs>-<5 chars>`, scale-down unready/pending/newest first (graceful:
 *   deletionTimestamp, the kubelet finishes), status with minReadySeconds; SuccessfulCreate/Delete.
 * - Garbage collector: ReplicaSets and pods whose controller owner is gone are deleted.
 * - Kubelet: each container is a real process in its own process group, started from an image pulled
 *   with Gantry's registry client (imagePullSecrets, imagePullPolicy, digests verified) and extracted
 *   once per digest; container states and reasons as the kubelet reports them, crash-loop backoff
 *   (backoffBaseMs·2^n up to backoffMaxMs; first restart immediate), httpGet and tcpSocket readiness and
 *   liveness probes, graceful stop (SIGTERM, SIGKILL after the grace period), pod phases and conditions, logs
 *   per instance (current and previous), Events (Scheduled, Pulling, Pulled, Failed, BackOff, Created,
 *   Started, Unhealthy, Killing).
 * - Endpoints controller, LoadBalancer (127.0.1.N per Service, round robin over the ready endpoints
 *   at that moment: per request for HTTP, per connection for other TCP) and NodePort (127.0.0.1:<nodePort>) listeners, fetchInside.
 *
 * Deviations (one machine, no container runtime): no chroot or namespaces: a process runs from the
 * host's filesystem with its working folder inside the extracted rootfs (`/bin/sh` and `node` are the
 * host's); every pod has podIP 127.0.0.1 and its own free port, given as PORT (overriding the
 * Deployment's) and as the first containerPort, and recorded in the `standin.gantry.dev/port`
 * annotation, which the Endpoints and probes use whatever port the spec names. Registries on
 * loopback are spoken to over http. Not modelled: resource limits (faults.oomKill stands for the
 * OOM killer), exec probes (they pass), startup probes, init containers, volumes,
 * proportional scaling of several live sets, collision counts, ReplicaFailure, Service session
 * affinity, ErrImageNeverPull's own reason.
 */
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
