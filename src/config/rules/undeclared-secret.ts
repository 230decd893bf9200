import { finding } from '../issues.js';
import type { Finding } from '../issues.js';
import { deployedServices, environmentsOf, pathOrOwner, serviceNamed } from './context.js';
import type { ConfigRule } from './rule.js';

/**
 * A service that reads a secret its environment does not provide starts without it. A warning, not an
 * error: the secret may be optional for the service, and only the service knows.
 */
export const undeclaredSecret: ConfigRule = {
  name: 'undeclared-secret',
  check(config) {
    const found: Finding[] = [];
    for (const [envName, env] of environmentsOf(config)) {
      const provided = new Set(env.secrets ?? []);
      const path = pathOrOwner(env.secrets !== undefined, ['environments', envName], 'secrets');
      for (const { name } of deployedServices(config, envName, env)) {
        const missing = (serviceNamed(config, name)?.secrets ?? []).filter((secret) => !provided.has(secret));
        if (missing.length === 0) continue;
        const list = missing.join(', ');
        found.push(
          finding('CONFIG_UNDECLARED_SECRET', path, `${envName} deploys ${name}, which reads ${list}, but ${envName} does not provide ${missing.length === 1 ? 'it' : 'them'}`, {
            severity: 'warning',
            anchor: env.secrets === undefined ? 'key' : 'value',
            hint: `add ${list} to environments.${envName}.secrets, or remove ${missing.length === 1 ? 'it' : 'them'} from services.${name}.secrets`,
          }),
        );
      }
    }
    return found;
  },
};
