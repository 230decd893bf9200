import { DEFAULT_TARGET } from '../normalize.js';
import { finding, formatPath, type Finding } from '../issues.js';
import type { EnvironmentInput, GantryConfigParsed } from '../schema.js';
import { suggestionHint } from '../suggest.js';
import { environmentsOf } from './context.js';
import type { ConfigRule } from './rule.js';

/**
 * An environment with `regions` deploys to each region's target instead of one `target`, in
 * `waves` that name every region exactly once. `waves` and `onFailure` mean nothing without
 * regions. What is not per region yet (a backup, a kubernetes target) is refused rather than done
 * for one region only.
 */
export const regions: ConfigRule = {
  name: 'regions',
  check(config) {
    const found: Finding[] = [];
    for (const [envName, env] of environmentsOf(config)) found.push(...checkEnvironment(config, envName, env));
    return found;
  },
};

function checkEnvironment(config: GantryConfigParsed, envName: string, env: EnvironmentInput): Finding[] {
  const at = (...rest: (string | number)[]): (string | number)[] => ['environments', envName, ...rest];
  const names = Object.keys(env.regions ?? {});
  const found: Finding[] = [];
  if (env.regions === undefined || names.length === 0) {
    for (const key of ['waves', 'onFailure'] as const) {
      if (env[key] !== undefined) found.push(finding('CONFIG_REGIONS_INVALID', at(key), `${formatPath(at(key))} is set but ${envName} has no regions`, { anchor: 'key', hint: `Declare environments.${envName}.regions, or remove ${key}.` }));
    }
    return found;
  }
  if (env.target !== undefined) {
    found.push(finding('CONFIG_REGIONS_INVALID', at('target'), `${envName} sets both target and regions`, { anchor: 'key', hint: 'An environment with regions deploys to each region\'s target: move the target into a region, or remove regions.' }));
  }
  if (env.backup !== undefined) {
    found.push(finding('CONFIG_UNSUPPORTED', at('backup'), `${formatPath(at('backup'))} is not supported with regions yet`, { anchor: 'key', hint: 'Backups record one target\'s live state; remove backup from this environment, or deploy it to one target.' }));
  }
  if (env.watch?.onInconclusive === 'pause') {
    // A person's decision on a paused window is one per run; with regions each wave's window would need its own.
    found.push(finding('CONFIG_UNSUPPORTED', at('watch', 'onInconclusive'), `${formatPath(at('watch', 'onInconclusive'))}: pause is not supported with regions yet`, { hint: 'Use onInconclusive: fail (the default), or watch a service users never call by its health (watch.services.<name>: { basis: health }).' }));
  }
  const declared = [DEFAULT_TARGET, ...Object.keys(config.targets ?? {}).filter((name) => name !== DEFAULT_TARGET)];
  for (const [name, region] of Object.entries(env.regions)) {
    const path = at('regions', name, 'target');
    if (!declared.includes(region.target)) found.push(finding('CONFIG_UNKNOWN_TARGET', path, `${formatPath(path)} names the undeclared target "${region.target}"`, { hint: suggestionHint(region.target, declared, 'target') }));
    else if (config.targets?.[region.target]?.kind === 'kubernetes') found.push(finding('CONFIG_UNSUPPORTED', path, `${formatPath(path)} is a kubernetes target, which cannot be a region yet`, { hint: 'Use local or docker targets as regions.' }));
  }
  const targets = Object.values(env.regions).map((r) => r.target);
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (twice !== undefined) {
    found.push(finding('CONFIG_REGIONS_INVALID', at('regions'), `two regions of ${envName} name the target "${twice}"`, { anchor: 'key', hint: 'Each region is a target of its own: declare one target per region.' }));
  }
  const seen = new Map<string, number>();
  (env.waves ?? []).forEach((wave, w) =>
    wave.forEach((name, i) => {
      const path = at('waves', w, i);
      if (!names.includes(name)) found.push(finding('CONFIG_UNKNOWN_REGION', path, `${formatPath(path)} names "${name}", which is not a region of ${envName}`, { hint: suggestionHint(name, names, 'region') }));
      else if (seen.has(name)) found.push(finding('CONFIG_REGIONS_INVALID', path, `region "${name}" is in wave ${(seen.get(name) ?? 0) + 1} and again in wave ${w + 1}`, { hint: 'Put every region in exactly one wave.' }));
      else seen.set(name, w);
    }),
  );
  if (env.waves !== undefined) {
    const missing = names.filter((n) => !seen.has(n));
    if (missing.length > 0) found.push(finding('CONFIG_REGIONS_INVALID', at('waves'), `waves of ${envName} leave out region(s) ${missing.map((m) => `"${m}"`).join(', ')}`, { anchor: 'key', hint: 'Put every region in exactly one wave (or remove waves: one wave per region, in order).' }));
  }
  return found;
}
