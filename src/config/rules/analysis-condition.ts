import { CONDITION_GRAMMAR_HINT, parseCondition } from '../../metrics/condition.js';
import { finding, formatPath } from '../issues.js';
import type { Finding } from '../issues.js';
import { analysisMetricsOf } from './analysis-context.js';
import type { ConfigRule } from './rule.js';

/**
 * A success condition is parsed at load, not when the watch runs: a typo found after the switch
 * would leave a release half-judged. `baseline` only has a value with `compare: previous`.
 */
export const analysisCondition: ConfigRule = {
  name: 'analysis-condition',
  check(config) {
    const found: Finding[] = [];
    for (const { metric, path } of analysisMetricsOf(config)) {
      const at = [...path, 'successCondition'];
      const parsed = parseCondition(metric.successCondition);
      if (!parsed.ok) {
        found.push(finding('CONFIG_INVALID_CONDITION', at, `${formatPath(at)} "${metric.successCondition}": ${parsed.message} (at character ${parsed.column})`, { hint: CONDITION_GRAMMAR_HINT }));
      } else if (parsed.condition.usesBaseline && metric.compare !== 'previous') {
        found.push(
          finding('CONFIG_INVALID_CONDITION', at, `${formatPath(at)} uses baseline, but metric ${metric.name} does not compare with the previous revision`, {
            hint: 'add `compare: previous` to the metric, or compare result with a number',
          }),
        );
      }
    }
    return found;
  },
};
