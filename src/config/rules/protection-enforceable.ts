import { finding } from '../issues.js';
import { suggestionHint } from '../suggest.js';
import type { Finding } from '../issues.js';
import type { ConfigRule } from './rule.js';

/**
 * Branch protection of a self-hosted repository is enforced by the pre-receive hook
 * (`gantry hook install`), which sees commits, not reviews: it can judge `requiredChecks` (gates
 * passed on the merged head) and `upToDate`, but approving reviews and resolved conversations
 * exist only on GitHub. Accepting them without `github:` would promise a guard nothing enforces.
 * A required check must also name a declared `<service>/<gate>`, or no merge could ever pass it.
 */
export const protectionEnforceable: ConfigRule = {
  name: 'protection-enforceable',
  check(config) {
    const found: Finding[] = [];
    const gates = new Set(Object.entries(config.services).flatMap(([service, s]) => (s.gates ?? []).map((g) => `${service}/${g.name}`)));
    for (const [pattern, { protection }] of Object.entries(config.branches ?? {})) {
      const at = ['branches', pattern, 'protection'];
      if (!config.github) {
        if ((protection.requiredApprovals ?? 0) > 0) {
          found.push(
            finding('CONFIG_NEEDS_GITHUB', [...at, 'requiredApprovals'], `requiredApprovals on ${pattern} needs GitHub reviews, and gantry.yaml has no \`github:\`: the pre-receive hook of a self-hosted repository cannot enforce it`, {
              hint: 'remove it and keep allowDirectPush: false (merges only of branches whose CI passed), or add `github:` so GitHub enforces reviews; deployment approvals belong in environments.<name>.approvals',
            }),
          );
        }
        if (protection.conversationsResolved) {
          found.push(
            finding('CONFIG_NEEDS_GITHUB', [...at, 'conversationsResolved'], `conversationsResolved on ${pattern} needs GitHub pull requests, and gantry.yaml has no \`github:\`: the pre-receive hook of a self-hosted repository cannot enforce it`, {
              hint: 'remove it, or add `github:` so GitHub enforces it',
            }),
          );
        }
      }
      (protection.requiredChecks ?? []).forEach((check, index) => {
        if (gates.has(check)) return;
        found.push(
          finding('CONFIG_UNKNOWN_CHECK', [...at, 'requiredChecks', index], `required check ${check} on ${pattern} is not a declared <service>/<gate>, so no merge could ever pass it`, {
            // With GitHub, a check may come from another CI app; Gantry cannot know its names.
            severity: config.github ? 'warning' : 'error',
            hint: gates.size > 0 ? suggestionHint(check, [...gates], '<service>/<gate> check') : 'declare gates under services.<name>.gates first',
          }),
        );
      });
    }
    return found;
  },
};
