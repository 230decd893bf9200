import { finding, formatPath } from '../issues.js';
import type { Finding } from '../issues.js';
import type { EnvironmentInput, GantryConfigParsed } from '../schema.js';
import { deployedServices, environmentsOf } from './context.js';
import type { ConfigRule } from './rule.js';

/** As the planner decides it (engine/planner.ts productionLike): production by name, or guarded like it. */
export function productionLikeInput(name: string, env: EnvironmentInput): boolean {
  return name === 'production' || (env.approvals?.required ?? 0) > 0 || env.confirmation !== undefined;
}

/** Target kinds whose targets can inject faults (capabilities().faults). */
const FAULT_TARGET_KINDS: ReadonlySet<string> = new Set(['local']);

function targetKind(config: GantryConfigParsed, env: EnvironmentInput): string {
  const name = env.target ?? 'local';
  return Object.hasOwn(config.targets ?? {}, name) ? (config.targets?.[name]?.kind ?? 'local') : 'local';
}

/**
 * Faults are only ever injected where gantry.yaml allows them: a `chaos` check needs
 * `chaos: { allowed: true }` on its environment, and production (or an environment guarded like it)
 * gets no exception. The check's service must be deployed there, on a target that can inject faults.
 */
export const chaosAllowed: ConfigRule = {
  name: 'chaos-allowed',
  check(config) {
    const found: Finding[] = [];
    for (const [envName, env] of environmentsOf(config)) {
      const deployed = deployedServices(config, envName, env).map((d) => d.name);
      env.verify?.forEach((check, index) => {
        if (check.kind !== 'chaos') return;
        const path = ['environments', envName, 'verify', index];
        if (env.chaos?.allowed !== true) {
          const production = productionLikeInput(envName, env);
          const why = production ? `${envName} is a production environment, where faults are refused unless it says so itself` : `${envName} does not allow faults`;
          found.push(
            finding('CONFIG_CHAOS_NOT_ALLOWED', path, `${formatPath(path)} is a chaos check, but ${why}`, {
              anchor: 'key',
              hint: production
                ? `production needs it explicitly: add \`chaos: { allowed: true }\` to environments.${envName} if faults there are really meant, or move the check to staging`
                : `add \`chaos: { allowed: true }\` to environments.${envName}, or remove the check`,
            }),
          );
        }
        const servicePath = [...path, 'load', 'service'];
        if (!deployed.includes(check.load.service)) {
          found.push(finding('CONFIG_UNKNOWN_SERVICE', servicePath, `${formatPath(servicePath)} names "${check.load.service}", which ${envName} does not deploy`, { hint: `name one of: ${deployed.join(', ') || 'none'}` }));
        }
        const kind = targetKind(config, env);
        if (!FAULT_TARGET_KINDS.has(kind)) {
          found.push(finding('CONFIG_UNSUPPORTED', path, `${formatPath(path)}: a ${kind} target cannot inject faults`, { anchor: 'key', hint: 'chaos checks run on local targets (the built-in router); move the check to an environment on one' }));
        } else if (typeof env.router === 'object' && env.router.kind === 'haproxy') {
          // Users' traffic goes through HAProxy there: faults at the built-in router would touch none of it.
          found.push(finding('CONFIG_UNSUPPORTED', path, `${formatPath(path)}: faults are injected at the built-in router, and ${envName}'s traffic goes through HAProxy`, { anchor: 'key', hint: 'run the chaos check in an environment on the built-in router' }));
        }
      });
    }
    return found;
  },
};
