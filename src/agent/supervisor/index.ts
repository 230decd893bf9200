export * from './options.js';
export * from './supervisor.js';
export { groupAlive } from './process-group.js';
export { DEFAULT_LOG_MAX_BYTES } from './log-file.js';
