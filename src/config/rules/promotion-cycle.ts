import { finding } from '../issues.js';
import type { Finding } from '../issues.js';
import { environmentsOf } from './context.js';
import type { ConfigRule } from './rule.js';

/** Environments that require each other in a ring could never receive a first release. */
export const promotionCycle: ConfigRule = {
  name: 'promotion-cycle',
  check(config) {
    const requires = new Map(environmentsOf(config).map(([name, env]) => [name, env.requires]));
    const reported = new Set<string>();
    const found: Finding[] = [];
    for (const start of requires.keys()) {
      const chain: string[] = [];
      let current: string | undefined = start;
      while (current !== undefined && requires.has(current) && !chain.includes(current)) {
        chain.push(current);
        current = requires.get(current);
      }
      if (current === undefined || !chain.includes(current)) continue;
      const ring = chain.slice(chain.indexOf(current));
      if (ring.some((name) => reported.has(name))) continue;
      for (const name of ring) reported.add(name);
      // Blame the first environment of the ring in declaration order: where a reader meets it first.
      const blamed = [...requires.keys()].find((name) => ring.includes(name)) ?? start;
      const from = ring.indexOf(blamed);
      const ordered = [...ring.slice(from), ...ring.slice(0, from), blamed];
      found.push(
        finding('CONFIG_PROMOTION_CYCLE', ['environments', blamed, 'requires'], `environments require each other in a cycle: ${ordered.join(' → ')}`, {
          hint: 'a release must succeed somewhere first; remove `requires` from the first environment of the pipeline',
        }),
      );
    }
    return found;
  },
};
