import type { Logger } from '../../kernel/logger.js';
import { ContainerRuntime, checkEngine, dockerClient } from '../containers/index.js';
import type { ProcessStatus } from '../supervisor/process-spec.js';

export interface ContainerRuntimeStart {
  readonly logger: Logger;
  readonly onChange: (status: ProcessStatus) => void;
  readonly scope: string;
  readonly dataDir: string;
  readonly dockerHost: string | null;
}

/** `gantry agent --runtime docker`: the engine must answer before the worker restores anything, or the agent does not start. */
export async function containerRuntime(o: ContainerRuntimeStart): Promise<ContainerRuntime> {
  const docker = dockerClient(o.dockerHost);
  await checkEngine(docker, o.dockerHost);
  return new ContainerRuntime({ docker, logger: o.logger, onChange: o.onChange, scope: o.scope, dataDir: o.dataDir });
}
