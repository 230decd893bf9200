import type { ClusterState, KubeObject } from '../cluster-state.js';
import type { ContainerProcess } from './container-process.js';
import type { ContainerSpec } from './container-worker.js';
import type { EventRecorder } from './events.js';
import { ImageStore, pullCredentials, type PulledImage } from './image-store.js';
import { containerEnv } from './pod-env.js';
import { PodWorker } from './pod-worker.js';
import { freePort } from '../../free-port.js';

/** A port nothing listens on now: the pod's process gets it as PORT. */

export interface KubeletOptions {
  readonly workDir: string;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/**
 * The one node's kubelet (`standin-node`): a worker per pod running its containers as real
 * processes, the graceful deletion of pods that have a deletionTimestamp, and the logs.
 */
export class Kubelet {
  private readonly workers = new Map<string, PodWorker>();
  private readonly starting = new Set<string>();
  private readonly images: ImageStore;
  readonly failingPulls = new Set<string>();
  private stopped = false;

  constructor(
    private readonly state: ClusterState,
    private readonly events: EventRecorder,
    private readonly options: KubeletOptions,
  ) {
    this.images = new ImageStore(options.workDir);
  }

  sync(): void {
    const pods = this.state.list('pods');
    const alive = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      alive.add(uid);
      const worker = this.workers.get(uid);
      if (pod.metadata.deletionTimestamp !== undefined) {
        if (worker) void this.finishDeletion(pod, worker);
        else if (!this.starting.has(uid)) this.removePod(pod);
        continue;
      }
      if (!worker && !this.starting.has(uid) && !terminal(pod)) void this.startWorker(pod);
    }
    for (const [uid, worker] of this.workers) {
      if (alive.has(uid)) continue;
      // Removed without graceful deletion (a forced delete): stop what runs anyway.
      this.workers.delete(uid);
      void worker.terminate(0);
    }
  }

  worker(namespace: string, name: string): PodWorker | undefined {
    for (const worker of this.workers.values()) if (worker.namespace === namespace && worker.name === name) return worker;
    return undefined;
  }

  /** The container's process: the current instance, or the one before it (`previous`). */
  process(namespace: string, pod: string, container: string | undefined, previous: boolean): ContainerProcess | undefined {
    const worker = this.worker(namespace, pod);
    // Not started on the node yet: nothing written so far.
    if (!worker) return undefined;
    const chosen = container === undefined ? worker.containers[0] : worker.containers.find((c) => c.spec.name === container);
    if (!chosen) throw new Error(`container ${container ?? ''} is not valid for pod ${pod}`);
    if (previous) {
      if (!chosen.previous) throw new Error(`previous terminated container "${chosen.spec.name}" in pod "${pod}" not found`);
      return chosen.previous;
    }
    return chosen.current;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(all.map((w) => w.kill()));
  }

  private async startWorker(pod: KubeObject): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    this.starting.add(uid);
    try {
      const port = await freePort();
      if (this.stopped) return;
      const current = this.state.get('pods', pod.metadata.namespace, pod.metadata.name);
      if (!current || current.metadata.uid !== uid) return;
      const worker = new PodWorker(current, port, {
        state: this.state,
        events: this.events,
        backoffBaseMs: this.options.backoffBaseMs,
        backoffMaxMs: this.options.backoffMaxMs,
        pullImage: (p, c, report) => this.pull(p, c, report),
        env: (p, image, spec, podPort) => containerEnv(this.state, { namespace: p.metadata.namespace ?? 'default', name: p.metadata.name, podIP: '127.0.0.1' }, image.env, spec, podPort),
      });
      this.workers.set(uid, worker);
      worker.start();
    } finally {
      this.starting.delete(uid);
    }
  }

  private async pull(pod: KubeObject, container: ContainerSpec, report: (type: 'Normal' | 'Warning', reason: string, message: string) => void): Promise<PulledImage> {
    const { image } = container;
    // The API server's default: Always for :latest or no tag, IfNotPresent otherwise.
    const policy = container.imagePullPolicy ?? (/@sha256:|:[^/:]+$/.test(image) && !image.endsWith(':latest') ? 'IfNotPresent' : 'Always');
    const fault = [...this.failingPulls].find((s) => image.includes(s));
    if (fault !== undefined) {
      report('Normal', 'Pulling', `Pulling image "${image}"`);
      throw new Error(`rpc error: code = Unknown desc = failed to pull and unpack image "${image}": injected fault (failPull "${fault}")`);
    }
    const present = this.images.present(image);
    if (policy === 'Never' && !present) throw new Error(`Container image "${image}" is not present with pull policy of Never`);
    if (present && policy !== 'Always') {
      report('Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return present;
    }
    report('Normal', 'Pulling', `Pulling image "${image}"`);
    const started = Date.now();
    const secrets = ((pod['spec'] as { imagePullSecrets?: Array<{ name: string }> }).imagePullSecrets ?? []).map((s) => s.name);
    const registry = image.split('/')[0] ?? '';
    try {
      const pulled = await this.images.pull(image, pullCredentials(this.state, pod.metadata.namespace ?? 'default', secrets, registry));
      report('Normal', 'Pulled', `Successfully pulled image "${image}" in ${Date.now() - started}ms`);
      return pulled;
    } catch (error: unknown) {
      throw new Error(`rpc error: code = Unknown desc = failed to pull and unpack image "${image}": ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async finishDeletion(pod: KubeObject, worker: PodWorker): Promise<void> {
    const grace = Number(pod.metadata['deletionGracePeriodSeconds'] ?? 30);
    await worker.terminate(grace * 1000);
    if (this.workers.get(pod.metadata.uid ?? '') !== worker) return;
    this.workers.delete(pod.metadata.uid ?? '');
    this.removePod(pod);
  }

  private removePod(pod: KubeObject): void {
    const current = this.state.get('pods', pod.metadata.namespace, pod.metadata.name);
    if (current?.metadata.uid === pod.metadata.uid) this.state.delete('pods', pod.metadata.namespace, pod.metadata.name);
  }
}

const terminal = (pod: KubeObject): boolean => {
  const phase = (pod['status'] as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
};
