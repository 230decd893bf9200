import { PLACEHOLDERS, unknownPlaceholders } from '../../metrics/placeholders.js';
import { isRouterQuery, ROUTER_QUERIES } from '../../metrics/providers/router-queries.js';
import { parseDuration } from '../duration.js';
import { finding, formatPath } from '../issues.js';
import type { Finding } from '../issues.js';
import { suggestionHint } from '../suggest.js';
import { analysisMetricsOf } from './analysis-context.js';
import type { AnalysisMetric } from './analysis-context.js';
import type { ConfigRule } from './rule.js';

function checkMetric({ metric, path }: AnalysisMetric, hasPrometheus: boolean): Finding[] {
  const found: Finding[] = [];
  const query = [...path, 'query'];
  if (metric.provider === 'prometheus' && !hasPrometheus) {
    found.push(finding('CONFIG_PROMETHEUS_MISSING', [...path, 'provider'], `metric ${metric.name} queries Prometheus, but no prometheus server is configured`, { hint: 'add `prometheus: { url: http://… }` at the top level' }));
  }
  if (metric.provider === 'router' && !isRouterQuery(metric.query.trim())) {
    found.push(finding('CONFIG_INVALID_VALUE', query, `${formatPath(query)} "${metric.query}" is not a router query`, { hint: suggestionHint(metric.query.trim(), ROUTER_QUERIES, 'router query') }));
  }
  for (const name of unknownPlaceholders(metric.query)) {
    found.push(finding('CONFIG_INVALID_VALUE', query, `${formatPath(query)} has the unknown placeholder {{${name}}}`, { hint: `placeholders: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}` }));
  }
  if (parseDuration(metric.interval) <= 0) {
    found.push(finding('CONFIG_INVALID_VALUE', [...path, 'interval'], `${formatPath([...path, 'interval'])} must be above zero`, { hint: 'e.g. 30s' }));
  }
  if ((metric.failureLimit ?? 0) >= metric.count) {
    const at = [...path, 'failureLimit'];
    found.push(finding('CONFIG_INVALID_VALUE', at, `${formatPath(at)} ${metric.failureLimit} is not below count ${metric.count}: metric ${metric.name} can never fail`, { severity: 'warning', hint: `lower it below ${metric.count}` }));
  }
  return found;
}

/** Analysis metrics name real queries and providers, and one name each (results are keyed by it). */
export const analysisMetric: ConfigRule = {
  name: 'analysis-metric',
  check(config) {
    const found: Finding[] = [];
    const seen = new Map<string, number>();
    for (const entry of analysisMetricsOf(config)) {
      found.push(...checkMetric(entry, config.prometheus !== undefined));
      const key = `${entry.environment}/${entry.scope}/${entry.metric.name}`;
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, entry.index);
        continue;
      }
      const at = [...entry.path, 'name'];
      found.push(finding('CONFIG_DUPLICATE_METRIC', at, `${formatPath(at)} "${entry.metric.name}" is also the name of analysis[${first}]`, { hint: 'give each metric its own name' }));
    }
    return found;
  },
};
