import type { ContainerCreateOptions } from 'dockerode';
import type { ContainerSpec } from './container-spec.js';
import { SECRETS_LOADER, SECRETS_MOUNT } from './secret-files.js';

/** How replicas reach the network: the engine's bridge with a loopback port binding, or the host's stack. */
export type NetworkMode = 'host' | 'bridge';

export interface ContainerPlan {
  readonly spec: ContainerSpec;
  readonly command: string;
  readonly port: number;
  readonly network: NetworkMode;
  /** The tmpfs folder of the replica's secret files, or null when it has none. */
  readonly secretsDir: string | null;
  /** Restarts the engine makes on its own (on-failure) before the replica counts as crash-looping. */
  readonly maxRestarts: number;
  readonly stopGraceMs: number;
}

/**
 * The engine's create body for one replica (pure: what `docker inspect` will show). The command
 * runs as `/bin/sh -c 'exec <command>'` behind the engine's init (signals reach the service, zombies
 * are reaped); with secrets, the loader exports them from the read-only files first: the env, the
 * labels and the command hold no secret value.
 */
export function containerConfig(plan: ContainerPlan): ContainerCreateOptions {
  const { spec, port, network } = plan;
  const script = `${plan.secretsDir === null ? '' : `${SECRETS_LOADER}; `}exec ${plan.command}`;
  const portKey = `${port}/tcp`;
  return {
    name: spec.name,
    Image: spec.image,
    Entrypoint: ['/bin/sh', '-c'],
    Cmd: [script],
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: { ...spec.labels },
    StopTimeout: Math.max(1, Math.ceil(plan.stopGraceMs / 1000)),
    ...(network === 'bridge' ? { ExposedPorts: { [portKey]: {} } } : {}),
    HostConfig: {
      Init: true,
      NetworkMode: network,
      ...(network === 'bridge' ? { PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: String(port) }] } } : {}),
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: plan.maxRestarts },
      ...(spec.limits?.cpus === undefined ? {} : { NanoCpus: Math.round(spec.limits.cpus * 1e9) }),
      ...(spec.limits?.memoryBytes === undefined ? {} : { Memory: spec.limits.memoryBytes, MemorySwap: spec.limits.memoryBytes }),
      ...(plan.secretsDir === null ? {} : { Binds: [`${plan.secretsDir}:${SECRETS_MOUNT}:ro`] }),
    },
  };
}

/** `gantry-<env>-<service>-r<N>` for replica 0, `…-r<N>-<i>` for replica i ≥ 1. */
export const containerName = (environment: string, service: string, revision: number, replica: number): string =>
  `gantry-${environment}-${service}-r${revision}${replica === 0 ? '' : `-${replica}`}`;
