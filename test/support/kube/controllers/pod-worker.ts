import type { ClusterState, KubeObject } from '../cluster-state.js';
import { ContainerWorker, type ContainerSpec } from './container-worker.js';
import type { EventRecorder } from './events.js';
import type { PulledImage } from './image-store.js';
import { kubeTime, writeStatus } from './kube-util.js';
import { podStatus } from './pod-status.js';

export interface PodWorkerDeps {
  readonly state: ClusterState;
  readonly events: EventRecorder;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  pullImage(pod: KubeObject, container: ContainerSpec, report: (type: 'Normal' | 'Warning', reason: string, message: string) => void): Promise<PulledImage>;
  env(pod: KubeObject, image: PulledImage, spec: ContainerSpec, port: number): Record<string, string>;
}

/** The kubelet's worker for one pod: its containers, its port, and its status writes. */
export class PodWorker {
  readonly containers: ContainerWorker[];
  readonly startTime = kubeTime();
  private readonly abort = new AbortController();
  private readonly transitions = new Map<string, { status: string; at: string }>();
  private silent = false;
  private terminating: Promise<void> | undefined;

  constructor(
    private pod: KubeObject,
    readonly port: number,
    private readonly deps: PodWorkerDeps,
  ) {
    const spec = pod['spec'] as { containers: ContainerSpec[]; restartPolicy?: 'Always' | 'OnFailure' | 'Never'; terminationGracePeriodSeconds?: number };
    const label = `${pod.metadata.name}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
    this.containers = spec.containers.map(
      (container) =>
        new ContainerWorker(container, {
          podLabel: label,
          port,
          restartPolicy: spec.restartPolicy ?? 'Always',
          backoffBaseMs: deps.backoffBaseMs,
          backoffMaxMs: deps.backoffMaxMs,
          graceMs: (spec.terminationGracePeriodSeconds ?? 30) * 1000,
          signal: this.abort.signal,
          pullImage: (c) => deps.pullImage(this.pod, c, (type, reason, message) => this.event(type, reason, message, `spec.containers{${container.name}}`)),
          env: (image, c) => deps.env(this.pod, image, c, port),
          event: (type, reason, message) => this.event(type, reason, message, `spec.containers{${container.name}}`),
          changed: () => this.publish(),
        }),
    );
  }

  get namespace(): string {
    return this.pod.metadata.namespace ?? 'default';
  }

  get name(): string {
    return this.pod.metadata.name;
  }

  /** Binds the pod to the node, records its port, and starts its containers. */
  start(): void {
    const { state } = this.deps;
    const current = state.get('pods', this.namespace, this.name);
    if (!current) return;
    const annotations = { ...(current.metadata.annotations ?? {}), 'standin.gantry.dev/port': String(this.port) };
    // Every pod shares this machine's network: each container's first declared port becomes the pod's own.
    const spec = current['spec'] as { containers: Array<{ ports?: Array<{ containerPort: number }> }> };
    const containers = spec.containers.map((c) => (c.ports?.length ? { ...c, ports: c.ports.map((p, i) => (i === 0 ? { ...p, containerPort: this.port } : p)) } : c));
    this.pod = state.update('pods', { ...current, metadata: { ...current.metadata, annotations }, spec: { ...spec, containers, nodeName: 'standin-node' } });
    this.deps.events.record(this.pod, 'Normal', 'Scheduled', `Successfully assigned ${this.namespace}/${this.name} to standin-node`, 'default-scheduler');
    this.publish();
    for (const container of this.containers) {
      void container.run().catch((error: unknown) => {
        this.event('Warning', 'Failed', `Error: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
  }

  /** Stops every container (SIGTERM, SIGKILL after `graceMs`); the same promise for repeated calls. */
  terminate(graceMs: number): Promise<void> {
    this.terminating ??= (async () => {
      this.abort.abort();
      await Promise.all(this.containers.map((c) => c.stop(graceMs)));
    })();
    return this.terminating;
  }

  /** Kills at once without further status writes: the cluster is going away. */
  async kill(): Promise<void> {
    this.silent = true;
    await this.terminate(0);
  }

  oomKill(): void {
    for (const container of this.containers) container.oomKill();
  }

  publish(): void {
    if (this.silent) return;
    const status = podStatus(this.pod, this.containers, this.startTime, (type, value) => this.transition(type, value));
    const written = writeStatus(this.deps.state, 'pods', this.namespace, this.name, status);
    if (written) this.pod = written;
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    if (this.silent) return;
    const current = this.deps.state.get('pods', this.namespace, this.name);
    if (current) this.deps.events.record(current, type, reason, message, 'kubelet', fieldPath);
  }

  /** When a condition last changed status (kept so an unchanged condition keeps its time). */
  private transition(type: string, status: string): string {
    const seen = this.transitions.get(type);
    if (seen?.status === status) return seen.at;
    const at = kubeTime();
    this.transitions.set(type, { status, at });
    return at;
  }
}
