import type { ConfigPath } from '../issues.js';
import type { GantryConfigParsed } from '../schema.js';
import { environmentsOf } from './context.js';

type MetricInput = NonNullable<NonNullable<NonNullable<GantryConfigParsed['environments']>[string]['watch']>['analysis']>[number];

/** One analysis metric of an environment's watch, with where it is written. */
export interface AnalysisMetric {
  readonly environment: string;
  readonly metric: MetricInput;
  readonly index: number;
  readonly path: ConfigPath;
  /** Which analysis it belongs to (the watch's, or a canary step's): metric names are unique within one. */
  readonly scope: string;
}

/** Every analysis metric of every environment, in file order; what the analysis rules check. */
export function analysisMetricsOf(config: GantryConfigParsed): AnalysisMetric[] {
  return environmentsOf(config).flatMap(([environment, env]) => [
    ...(env.watch?.analysis ?? []).map((metric, index) => ({ environment, metric, index, path: ['environments', environment, 'watch', 'analysis', index], scope: 'watch' })),
    ...canaryStepsOf(env.strategy).flatMap((step, i) =>
      'analysis' in step ? (step.analysis.metrics ?? []).map((metric, index) => ({ environment, metric, index, path: ['environments', environment, 'strategy', 'steps', i, 'analysis', 'metrics', index], scope: `steps[${i}]` })) : [],
    ),
  ]);
}

type StrategyInput = NonNullable<GantryConfigParsed['environments']>[string]['strategy'];

/** A canary strategy's steps as written; none for the other strategies. */
export function canaryStepsOf(strategy: StrategyInput): Extract<NonNullable<StrategyInput>, { kind: 'canary' }>['steps'] {
  return typeof strategy === 'object' && strategy.kind === 'canary' ? strategy.steps : [];
}
