import { finding, formatPath } from '../issues.js';
import type { Anchor, ConfigPath, Finding } from '../issues.js';
import type { GantryConfigParsed } from '../schema.js';
import { environmentsOf } from './context.js';
import type { ConfigRule } from './rule.js';

/**
 * A setting the schema knows but the runtime cannot honour yet. The schema keeps its shape (so
 * editors and the JSON Schema still know it, and turning it on is one line), but validation
 * refuses it, so gantry.yaml never promises what a deploy would then ignore or fail on late.
 */
export interface UnsupportedSetting {
  /** Every place the setting is used in the file. */
  find(config: GantryConfigParsed): ConfigPath[];
  /** The node to point at: the key (a key that must go) or its value (a value to change). */
  readonly anchor: Anchor;
  readonly why: string;
  readonly hint: string;
}

const targetsOf = (config: GantryConfigParsed) => Object.entries(config.targets ?? {});

/** The kind of the target an environment deploys through; `local` (the default target) when it names none. */
function targetKind(config: GantryConfigParsed, name: string | undefined): string {
  const target = name === undefined ? undefined : Object.entries(config.targets ?? {}).find(([n]) => n === name)?.[1];
  return target?.kind ?? 'local';
}

/**
 * One entry per setting. To turn one on once the runtime supports it, delete its entry here (and
 * its line in docs/errors.md under CONFIG_UNSUPPORTED); nothing else refuses it.
 */
export const UNSUPPORTED_SETTINGS: readonly UnsupportedSetting[] = [
  {
    find: (config) => targetsOf(config).flatMap(([name, t]) => (t.kind === 'local' && t.socket !== undefined ? [['targets', name, 'socket']] : [])),
    anchor: 'key',
    why: 'a local target cannot listen on a unix socket yet',
    hint: 'Remove socket: the agent is reached over loopback HTTP; set port to choose its port.',
  },
  {
    find: (config) =>
      environmentsOf(config).flatMap(([envName, env]) =>
        typeof env.strategy === 'object' && env.strategy.kind === 'rolling' && env.strategy.maxUnavailable !== undefined && targetKind(config, env.target) === 'local'
          ? [['environments', envName, 'strategy', 'maxUnavailable']]
          : [],
      ),
    anchor: 'key',
    why: 'a rolling deploy on a local target never takes replicas away from the previous revision, so maxUnavailable would change nothing',
    hint: 'Remove maxUnavailable; maxSurge sets how much traffic moves per batch.',
  },
  {
    find: (config) =>
      environmentsOf(config).flatMap(([envName, env]) =>
        (env.verify ?? []).flatMap((check, index) => (check.kind === 'integration' && check.timeout !== undefined ? [['environments', envName, 'verify', index, 'timeout']] : [])),
      ),
    anchor: 'key',
    why: 'an integration check cannot have a timeout of its own yet',
    hint: "Remove timeout: integration tests run within the verify step's limit of 30 minutes.",
  },
];

/** Refuses every use of a setting in UNSUPPORTED_SETTINGS, naming the key and what to do instead. */
export const unsupported: ConfigRule = {
  name: 'unsupported',
  check(config) {
    const found: Finding[] = [];
    for (const setting of UNSUPPORTED_SETTINGS) {
      for (const path of setting.find(config)) {
        found.push(finding('CONFIG_UNSUPPORTED', path, `${formatPath(path)}: ${setting.why}`, { anchor: setting.anchor, hint: setting.hint }));
      }
    }
    return found;
  },
};
