import { finding } from '../issues.js';
import type { Finding } from '../issues.js';
import { environmentsOf } from './context.js';
import type { ConfigRule } from './rule.js';

/** A push can deploy to one environment only; two environments on one branch would race each other. */
export const branchConflict: ConfigRule = {
  name: 'branch-conflict',
  check(config) {
    const owner = new Map<string, string>();
    const found: Finding[] = [];
    for (const [name, env] of environmentsOf(config)) {
      const first = owner.get(env.branch);
      if (first === undefined) {
        owner.set(env.branch, name);
        continue;
      }
      found.push(
        finding('CONFIG_BRANCH_CONFLICT', ['environments', name, 'branch'], `branch "${env.branch}" is mapped to both ${first} and ${name}`, {
          hint: `give ${name} its own branch; promote a release from ${first} with \`requires\` instead`,
        }),
      );
    }
    return found;
  },
};
