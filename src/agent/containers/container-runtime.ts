import type Docker from 'dockerode';
import { GantryError, NotFoundError } from '../../errors/index.js';
import type { RevisionSpec } from '../../targets/target.js';
import type { ReplicaRuntime } from '../replica-runtime.js';
import type { RecordedProcess } from '../supervisor/adoption.js';
import { resolveOptions, type SupervisorOptions, type SupervisorSettings } from '../supervisor/options.js';
import type { ProcessSpec, ProcessStatus } from '../supervisor/process-spec.js';
import { awaitContainerReady } from './await-container-ready.js';
import type { NetworkMode } from './container-config.js';
import { containerLogTail } from './container-logs.js';
import { ContainerReplica } from './container-replica.js';
import { isNotFound } from './docker-client.js';
import { ImagePuller } from './image-puller.js';
import { parseImageRef } from './image-ref.js';
import { SecretFiles } from './secret-files.js';

export interface ContainerRuntimeOptions extends SupervisorOptions {
  readonly docker: Docker;
  /** The agent's data folder: its tmpfs for secret files is mounted under it. */
  readonly dataDir: string;
  /** Set on every container as gantry.agent: the containers a later agent on this data folder adopts. */
  readonly scope: string;
}

/**
 * The docker runtime: each replica of a revision is a container of the engine, started from its
 * image pinned by digest, reached on 127.0.0.1:<port> (host networking where the engine has no
 * bridge, a loopback port binding otherwise), with its secrets as files on a tmpfs. Containers
 * outlive the agent; the next agent adopts them by name and labels.
 */
export class ContainerRuntime implements ReplicaRuntime {
  readonly kind = 'docker';
  private readonly settings: SupervisorSettings;
  private readonly replicas = new Map<string, ContainerReplica>();
  private readonly puller: ImagePuller;
  private readonly secrets: SecretFiles;
  private networkMode: Promise<NetworkMode> | undefined;

  constructor(private readonly o: ContainerRuntimeOptions) {
    this.settings = resolveOptions({ ...o, scope: o.scope });
    this.puller = new ImagePuller(o.docker);
    this.secrets = new SecretFiles(o.dataDir, o.scope, this.settings.logger);
  }

  /** Decided once per engine: its `bridge` network when it has one, the host's network otherwise. */
  network(): Promise<NetworkMode> {
    this.networkMode ??= this.o.docker.listNetworks().then((networks) => {
      const mode: NetworkMode = networks.some((n) => n.Name === 'bridge') ? 'bridge' : 'host';
      this.settings.logger.info({ network: mode }, mode === 'host' ? 'the engine has no bridge network: containers use the host network on their assigned port' : 'containers publish their port on 127.0.0.1 through the bridge');
      return mode;
    });
    return this.networkMode;
  }

  containmentKind(): Promise<string> {
    return Promise.resolve('container');
  }

  /** Refuses, before anything starts, an image not pinned by digest or one its registry does not hold; secrets need a tmpfs. */
  async prepare(spec: RevisionSpec): Promise<void> {
    const image = parseImageRef(spec.artifact.ref, spec.artifact.digest);
    SecretFiles.checkKeys(spec.secretKeys);
    if (spec.secretKeys.length > 0) await this.secrets.folder();
    await this.puller.check(image, spec.pullAuth);
  }

  private make(spec: ProcessSpec): ContainerReplica {
    if (spec.container === undefined) throw new GantryError('TARGET_ERROR', `${spec.id} has no container part`, { hint: 'The agent builds it for the docker runtime; this is a bug.' });
    const context = { docker: this.o.docker, puller: this.puller, secrets: this.secrets, network: () => this.network(), settings: this.settings };
    const container = { ...spec.container, labels: { ...spec.container.labels, 'gantry.agent': this.o.scope } };
    return new ContainerReplica({ ...spec, container }, context);
  }

  start(spec: ProcessSpec): ProcessStatus {
    const existing = this.replicas.get(spec.id);
    if (existing !== undefined && !existing.isDown()) return existing.status();
    const replica = this.make(spec);
    this.replicas.set(spec.id, replica);
    replica.start(existing?.stop());
    return replica.status();
  }

  /**
   * A container of this agent (by name, and its gantry.agent and gantry.revision labels) that runs
   * the same image is adopted; anything else under that name is removed and the replica started anew.
   */
  async adopt(spec: ProcessSpec, _recorded: RecordedProcess): Promise<{ readonly adopted: boolean; readonly status: ProcessStatus }> {
    const existing = this.replicas.get(spec.id);
    if (existing !== undefined && !existing.isDown()) return { adopted: false, status: existing.status() };
    const c = spec.container;
    if (c === undefined) return { adopted: false, status: this.start(spec) };
    const info = await this.o.docker
      .getContainer(c.name)
      .inspect()
      .catch((error: unknown) => {
        if (isNotFound(error)) return null;
        throw error;
      });
    const labels = info?.Config.Labels ?? {};
    const ours = labels['gantry.agent'] === this.o.scope && labels['gantry.revision'] === c.labels['gantry.revision'] && info?.Config.Image === c.image;
    if (info && ours && (info.State.Running || info.State.Restarting)) {
      const replica = this.make(spec);
      this.replicas.set(spec.id, replica);
      // The tmpfs may be new (a reboot of the host keeps no container running, but a remount could): the files are written again.
      await this.secrets.write(c.name, c.secrets);
      replica.adopt(info);
      return { adopted: true, status: replica.status() };
    }
    return { adopted: false, status: this.start(spec) };
  }

  status(id: string): ProcessStatus | undefined {
    return this.replicas.get(id)?.status();
  }

  list(): ProcessStatus[] {
    return [...this.replicas.values()].map((r) => r.status());
  }

  awaitReady(id: string, deadlineMs: number, signal?: AbortSignal): Promise<ProcessStatus> {
    const replica = this.replicas.get(id);
    if (replica === undefined) return Promise.reject(notFound(id));
    return awaitContainerReady(replica, deadlineMs, signal);
  }

  async stop(id: string): Promise<void> {
    await this.replicas.get(id)?.stop();
  }

  /** Stops every replica, then every other container of this agent the engine still has, and unmounts the secrets' tmpfs. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.replicas.values()].map((r) => r.stop()));
    const left = await this.o.docker.listContainers({ all: true, filters: { label: [`gantry.agent=${this.o.scope}`] } }).catch(() => []);
    await Promise.all(left.map((c) => this.o.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    await this.secrets.release();
  }

  /** The container's output from the engine's logs API, with the revision's secrets masked. */
  async logTail(id: string, lines: number): Promise<string[]> {
    const replica = this.replicas.get(id);
    if (replica === undefined) throw notFound(id);
    return (await containerLogTail(this.o.docker, replica.spec.container.name, lines)).map((line) => replica.redactor.redact(line));
  }
}

function notFound(id: string): NotFoundError {
  return new NotFoundError('NOT_FOUND', `no container replica has the id ${id}`, { where: id, hint: 'Start it first; `list()` shows the known ids.' });
}
