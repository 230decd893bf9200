/** Resource limits of one replica's container; absent fields: no limit. */
export interface ContainerLimits {
  /** CPUs the container may use (HostConfig.NanoCpus = cpus × 10⁹). */
  readonly cpus?: number;
  /** Memory in bytes; swap is set to the same, so the limit is real (HostConfig.Memory = MemorySwap). */
  readonly memoryBytes?: number;
}

/** Registry credentials for the pull; a secret: never logged, never in an error, never in describe(). */
export interface PullAuth {
  readonly username: string;
  readonly password: string;
}

/**
 * What the docker runtime needs of a replica beyond ProcessSpec: set by the agent when it runs
 * containers (ProcessSpec.container); the process runtime ignores it.
 */
export interface ContainerSpec {
  /** `gantry-<env>-<service>-r<N>`, with `-<i>` for replica i ≥ 1. */
  readonly name: string;
  /** A registry reference pinned by digest, `host/repo@sha256:…` (RevisionSpec.artifact.ref). */
  readonly image: string;
  /** RevisionSpec.artifact.digest: the pulled image must carry it. */
  readonly digest: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The container's environment: non-secret keys, PORT and GANTRY_* only. */
  readonly env: Readonly<Record<string, string>>;
  /** Secret keys and values: written as files on a tmpfs, exported by the loader, never in Config.Env. */
  readonly secrets: Readonly<Record<string, string>>;
  readonly limits?: ContainerLimits | undefined;
  readonly pullAuth?: PullAuth | undefined;
}
