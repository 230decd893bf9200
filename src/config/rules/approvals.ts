import { finding } from '../issues.js';
import type { Finding } from '../issues.js';
import { environmentsOf } from './context.js';
import type { ConfigRule } from './rule.js';

/**
 * Two approvals from a list of one person can never be given, so the environment would wait forever.
 * Groups listed in gantry.yaml count with their members; a GitHub team (or an undeclared group,
 * reported by unknown-group) may hold any number of people, and then we cannot tell. A warning only.
 */
export const approvals: ConfigRule = {
  name: 'approvals',
  check(config) {
    const found: Finding[] = [];
    const groups = config.groups ?? {};
    for (const [envName, env] of environmentsOf(config)) {
      const approvers = env.approvals?.approvers;
      if (!env.approvals || !approvers || approvers.length === 0) continue;
      const members = approvers.map((a) => (a.startsWith('@') ? groups[a.slice(1)] : [a]));
      if (members.some((m) => !Array.isArray(m))) continue;
      const distinct = new Set(members.flat()).size;
      if (env.approvals.required <= distinct) continue;
      found.push(
        finding('CONFIG_APPROVALS_UNSATISFIABLE', ['environments', envName, 'approvals', 'required'], `${envName} requires ${env.approvals.required} approvals but lists only ${distinct} approver${distinct === 1 ? '' : 's'}`, {
          severity: 'warning',
          hint: 'add approvers (or an @group), or lower approvals.required; remember the author of a change can never approve it',
        }),
      );
    }
    return found;
  },
};
