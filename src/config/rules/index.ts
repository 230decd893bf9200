export { CONFIG_RULES, runRules } from './registry.js';
export type { ConfigRule } from './rule.js';
export { listenersOf } from './listeners.js';
export type { Listener } from './listeners.js';
