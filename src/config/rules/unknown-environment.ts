import { finding, formatPath } from '../issues.js';
import type { Finding } from '../issues.js';
import { suggestionHint } from '../suggest.js';
import { environmentsOf } from './context.js';
import type { ConfigRule } from './rule.js';

/** `requires` and notification routes name environments; a typo there would silently never match. */
export const unknownEnvironment: ConfigRule = {
  name: 'unknown-environment',
  check(config) {
    const declared = environmentsOf(config).map(([name]) => name);
    const found: Finding[] = [];
    const check = (name: string, path: (string | number)[]): void => {
      if (declared.includes(name)) return;
      found.push(finding('CONFIG_UNKNOWN_ENVIRONMENT', path, `${formatPath(path)} names the undeclared environment "${name}"`, { hint: suggestionHint(name, declared, 'environment') }));
    };
    for (const [envName, env] of environmentsOf(config)) {
      if (env.requires !== undefined) check(env.requires, ['environments', envName, 'requires']);
    }
    config.notifications?.routes.forEach((route, r) => {
      route.environments?.forEach((name, index) => check(name, ['notifications', 'routes', r, 'environments', index]));
    });
    return found;
  },
};
