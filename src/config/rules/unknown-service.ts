import { finding, formatPath } from '../issues.js';
import type { Finding } from '../issues.js';
import { suggestionHint } from '../suggest.js';
import { deployedServices, environmentsOf } from './context.js';
import type { ConfigRule } from './rule.js';

/** Every service an environment deploys, load-tests or has watch rules for must be declared, and the last two deployed there. */
export const unknownService: ConfigRule = {
  name: 'unknown-service',
  check(config) {
    const declared = Object.keys(config.services);
    const found: Finding[] = [];
    for (const [envName, env] of environmentsOf(config)) {
      env.services?.forEach((name, index) => {
        if (declared.includes(name)) return;
        const path = ['environments', envName, 'services', index];
        found.push(finding('CONFIG_UNKNOWN_SERVICE', path, `${formatPath(path)} names the undeclared service "${name}"`, { hint: suggestionHint(name, declared, 'service') }));
      });
      const deployed = deployedServices(config, envName, env).map((d) => d.name);
      env.verify?.forEach((check, index) => {
        if (check.kind !== 'load') return;
        const path = ['environments', envName, 'verify', index, 'service'];
        if (!declared.includes(check.service)) {
          found.push(finding('CONFIG_UNKNOWN_SERVICE', path, `${formatPath(path)} names the undeclared service "${check.service}"`, { hint: suggestionHint(check.service, declared, 'service') }));
        } else if (!deployed.includes(check.service)) {
          found.push(
            finding('CONFIG_UNKNOWN_SERVICE', path, `${formatPath(path)} load-tests "${check.service}", which ${envName} does not deploy`, {
              hint: `add "${check.service}" to environments.${envName}.services, or load-test one of: ${deployed.join(', ') || 'none'}`,
            }),
          );
        }
      });
      for (const name of Object.keys(env.watch?.services ?? {})) {
        const path = ['environments', envName, 'watch', 'services', name];
        if (!declared.includes(name)) {
          found.push(finding('CONFIG_UNKNOWN_SERVICE', path, `${formatPath(path)} names the undeclared service "${name}"`, { hint: suggestionHint(name, declared, 'service') }));
        } else if (!deployed.includes(name)) {
          found.push(finding('CONFIG_UNKNOWN_SERVICE', path, `${formatPath(path)} sets a watch rule for "${name}", which ${envName} does not deploy`, { hint: `remove it, or add "${name}" to environments.${envName}.services` }));
        }
      }
    }
    return found;
  },
};
