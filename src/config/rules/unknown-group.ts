import { finding } from '../issues.js';
import type { Finding } from '../issues.js';
import { environmentsOf } from './context.js';
import type { ConfigRule } from './rule.js';

/**
 * An `@group` in `approvals.approvers` must be declared in `groups`: an unknown group would
 * otherwise either let nobody approve or, worse, be read as "anyone with the role".
 * A `githubTeam` group needs `github:` to know which GitHub to ask.
 */
export const unknownGroup: ConfigRule = {
  name: 'unknown-group',
  check(config) {
    const found: Finding[] = [];
    const groups = config.groups ?? {};
    const declared = Object.keys(groups);
    for (const [envName, env] of environmentsOf(config)) {
      (env.approvals?.approvers ?? []).forEach((approver, index) => {
        if (!approver.startsWith('@') || Object.hasOwn(groups, approver.slice(1))) return;
        found.push(
          finding('CONFIG_UNKNOWN_GROUP', ['environments', envName, 'approvals', 'approvers', index], `${envName} names the approver group ${approver}, which \`groups\` does not declare`, {
            hint: declared.length > 0 ? `declared groups: ${declared.map((g) => `@${g}`).join(', ')}; or add ${approver.slice(1)} under \`groups\`` : `declare it at the top level, e.g. groups: { ${approver.slice(1) || 'release-managers'}: [alice, bob] }`,
          }),
        );
      });
    }
    for (const [name, group] of Object.entries(groups)) {
      if (Array.isArray(group) || config.github) continue;
      found.push(
        finding('CONFIG_NEEDS_GITHUB', ['groups', name, 'githubTeam'], `the group ${name} is a GitHub team, but gantry.yaml has no \`github:\` repository to read it from`, {
          hint: `add \`github: { repo: owner/name, webhookSecret: …, token: { secret: … } }\`, or list the members: groups: { ${name}: [alice, bob] }`,
        }),
      );
    }
    return found;
  },
};
