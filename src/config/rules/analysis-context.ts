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
}

/** Every analysis metric of every environment, in file order; what the analysis rules check. */
export function analysisMetricsOf(config: GantryConfigParsed): AnalysisMetric[] {
  return environmentsOf(config).flatMap(([environment, env]) =>
    (env.watch?.analysis ?? []).map((metric, index) => ({ environment, metric, index, path: ['environments', environment, 'watch', 'analysis', index] })),
  );
}
