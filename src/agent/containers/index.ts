export { ContainerRuntime, type ContainerRuntimeOptions } from './container-runtime.js';
export { containerName } from './container-config.js';
export type { ContainerLimits, ContainerSpec, PullAuth } from './container-spec.js';
export { checkEngine, dockerClient } from './docker-client.js';
