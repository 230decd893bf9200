import { finding, formatPath } from '../issues.js';
import type { Finding } from '../issues.js';
import { canaryStepsOf } from './analysis-context.js';
import { environmentsOf } from './context.js';
import type { ConfigRule } from './rule.js';

/**
 * A canary's analysis steps measure something: their own metrics, or the environment's watch
 * analysis. An analysis step with neither would pass on nothing, so it is refused here rather than
 * found out in production.
 */
export const canary: ConfigRule = {
  name: 'canary',
  check(config) {
    const found: Finding[] = [];
    for (const [name, env] of environmentsOf(config)) {
      canaryStepsOf(env.strategy).forEach((step, i) => {
        if (!('analysis' in step) || (step.analysis.metrics?.length ?? 0) > 0 || (env.watch?.analysis?.length ?? 0) > 0) return;
        const at = ['environments', name, 'strategy', 'steps', i, 'analysis'];
        found.push(finding('CONFIG_INVALID_VALUE', at, `${formatPath(at)} has no metrics to measure, and ${name} has no watch.analysis to use instead`, { hint: 'give the step metrics: [{ name: errors, provider: router, query: error-rate, interval: 10s, count: 3, successCondition: result < 0.01 }], or set watch.analysis' }));
      });
    }
    return found;
  },
};
