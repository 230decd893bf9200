import { DEFAULT_TARGET } from '../normalize.js';
import { finding, formatPath } from '../issues.js';
import type { Finding } from '../issues.js';
import { suggestionHint } from '../suggest.js';
import { environmentsOf } from './context.js';
import type { ConfigRule } from './rule.js';

/** An environment deploys through a declared target; `local` (the embedded agent) always exists. */
export const unknownTarget: ConfigRule = {
  name: 'unknown-target',
  check(config) {
    const declared = [DEFAULT_TARGET, ...Object.keys(config.targets ?? {}).filter((name) => name !== DEFAULT_TARGET)];
    const found: Finding[] = [];
    for (const [envName, env] of environmentsOf(config)) {
      if (env.target === undefined || declared.includes(env.target)) continue;
      const path = ['environments', envName, 'target'];
      found.push(finding('CONFIG_UNKNOWN_TARGET', path, `${formatPath(path)} names the undeclared target "${env.target}"`, { hint: suggestionHint(env.target, declared, 'target') }));
    }
    return found;
  },
};
