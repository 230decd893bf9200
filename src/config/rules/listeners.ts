import { DEFAULT_PREVIEW_PORT_OFFSET } from '../normalize.js';
import type { Anchor, ConfigPath } from '../issues.js';
import type { EnvironmentInput, GantryConfigParsed } from '../schema.js';
import { deployedServices, environmentsOf, serviceNamed } from './context.js';

/** The highest port a listener can bind. */
export const MAX_PORT = 65_535;

/**
 * Every port the data plane will bind for this config: one per (environment × deployed service),
 * one more for the preview of a blue-green environment, and the API port of a local agent
 * (environments on a kubernetes target bind none of them).
 */
export interface Listener {
  readonly port: number;
  /** For people: `api in staging`, `blue-green preview of api in production`. */
  readonly label: string;
  /** How the port is made up: `3000 + portOffset 100 + previewPortOffset 10000`. */
  readonly sum: string;
  readonly env: string | undefined;
  readonly preview: boolean;
  /** What to blame when this listener clashes with one of another environment (or overflows). */
  readonly envBlame: { path: ConfigPath; anchor: Anchor };
  /** What to blame when it clashes with another service of the same environment. */
  readonly serviceBlame: { path: ConfigPath; anchor: Anchor };
}

function previewOffset(env: EnvironmentInput): number | undefined {
  const strategy = env.strategy;
  if (strategy === 'blue-green') return DEFAULT_PREVIEW_PORT_OFFSET;
  if (typeof strategy === 'object' && strategy.kind === 'blue-green') return strategy.previewPortOffset ?? DEFAULT_PREVIEW_PORT_OFFSET;
  return undefined;
}

/** A region of an environment: its agent binds the environment's ports shifted by the region's portOffset. */
type RegionInput = readonly [name: string, region: NonNullable<EnvironmentInput['regions']>[string]];

function environmentListeners(config: GantryConfigParsed, envName: string, env: EnvironmentInput, region?: RegionInput): Listener[] {
  const offset = (env.portOffset ?? 0) + (region?.[1].portOffset ?? 0);
  const preview = previewOffset(env);
  const envPath: ConfigPath = ['environments', envName];
  const regionPath: ConfigPath | undefined = region && [...envPath, 'regions', region[0]];
  const offsetBlame = regionPath
    ? region?.[1].portOffset === undefined
      ? { path: regionPath, anchor: 'key' as const }
      : { path: [...regionPath, 'portOffset'], anchor: 'value' as const }
    : env.portOffset === undefined
      ? { path: envPath, anchor: 'key' as const }
      : { path: [...envPath, 'portOffset'], anchor: 'value' as const };
  // Each region is told apart from the others like an environment of its own.
  const where = region ? `${envName}@${region[0]}` : envName;
  const strategy = env.strategy;
  const previewBlame =
    typeof strategy === 'object' && strategy.kind === 'blue-green' && strategy.previewPortOffset !== undefined
      ? { path: [...envPath, 'strategy', 'previewPortOffset'], anchor: 'value' as const }
      : { path: [...envPath, 'strategy'], anchor: 'value' as const };
  const found: Listener[] = [];
  // A service listed twice is reported by the service-list rule; it does not listen twice.
  for (const name of new Set(deployedServices(config, envName, env).map((d) => d.name))) {
    const run = serviceNamed(config, name)?.run;
    if (!run) continue;
    const serviceBlame = { path: ['services', name, 'run', 'port'], anchor: 'value' as const };
    const sum = `${run.port}${offset ? ` + portOffset ${offset}` : ''}`;
    found.push({ port: run.port + offset, label: `${name} in ${where}`, sum, env: where, preview: false, envBlame: offsetBlame, serviceBlame });
    if (preview !== undefined) {
      found.push({ port: run.port + offset + preview, label: `blue-green preview of ${name} in ${where}`, sum: `${sum} + previewPortOffset ${preview}`, env: where, preview: true, envBlame: previewBlame, serviceBlame });
    }
  }
  return found;
}

/**
 * A kubernetes environment binds nothing on the hosts Gantry shares ports on: each Service has its
 * own cluster address and each pod its own network, so its ports clash with no one's.
 */
const onKubernetes = (config: GantryConfigParsed, env: EnvironmentInput): boolean => env.target !== undefined && config.targets?.[env.target]?.kind === 'kubernetes';

export function listenersOf(config: GantryConfigParsed): Listener[] {
  const found = environmentsOf(config)
    .filter(([, env]) => !onKubernetes(config, env))
    .flatMap(([name, env]) => (env.regions && Object.keys(env.regions).length > 0 ? Object.entries(env.regions).map((r) => environmentListeners(config, name, env, r)).flat() : environmentListeners(config, name, env)));
  for (const [name, target] of Object.entries(config.targets ?? {})) {
    if (target.kind !== 'local' || target.port === undefined) continue;
    const blame = { path: ['targets', name, 'port'], anchor: 'value' as const };
    found.push({ port: target.port, label: `the agent API of target ${name}`, sum: String(target.port), env: undefined, preview: false, envBlame: blame, serviceBlame: blame });
  }
  return found;
}
