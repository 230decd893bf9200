import { finding } from '../issues.js';
import type { Finding } from '../issues.js';
import type { ConfigRule } from './rule.js';

/** Gate names key the results of a run (and branch protection's required checks), so they must be unique. */
export const duplicateGate: ConfigRule = {
  name: 'duplicate-gate',
  check(config) {
    const found: Finding[] = [];
    for (const [serviceName, service] of Object.entries(config.services)) {
      const seen = new Map<string, number>();
      service.gates?.forEach((gate, index) => {
        const first = seen.get(gate.name);
        if (first === undefined) {
          seen.set(gate.name, index);
          return;
        }
        found.push(
          finding('CONFIG_DUPLICATE_GATE', ['services', serviceName, 'gates', index, 'name'], `service ${serviceName} has two gates named "${gate.name}" (gates[${first}] and gates[${index}])`, {
            hint: 'rename one of them, e.g. "test-unit" and "test-integration"',
          }),
        );
      });
    }
    return found;
  },
};
