import { finding, formatPath } from '../issues.js';
import type { Finding } from '../issues.js';
import { environmentsOf, serviceNamed } from './context.js';
import type { ConfigRule } from './rule.js';

/** What an environment lists in `services` must be deployable: it has a run command and appears once. */
export const serviceList: ConfigRule = {
  name: 'service-list',
  check(config) {
    const found: Finding[] = [];
    for (const [envName, env] of environmentsOf(config)) {
      const seen = new Set<string>();
      env.services?.forEach((name, index) => {
        const path = ['environments', envName, 'services', index];
        const service = serviceNamed(config, name);
        if (seen.has(name)) {
          found.push(finding('CONFIG_INVALID_VALUE', path, `${formatPath(path)} lists "${name}" a second time`, { hint: 'each service is deployed once per release; remove the repeat' }));
        } else if (service && service.run === undefined) {
          found.push(
            finding('CONFIG_SERVICE_NOT_RUNNABLE', path, `${envName} deploys "${name}", but services.${name} has no run command`, {
              hint: `add \`run: { command: …, port: … }\` to services.${name}, or remove it from this list (a service without run only has CI gates)`,
            }),
          );
        }
        seen.add(name);
      });
    }
    return found;
  },
};
