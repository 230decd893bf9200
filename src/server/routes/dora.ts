import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GantryError } from '../../errors/index.js';
import { computeDora, computeDoraSeries, DAY_MS, DEFAULT_DORA_ENVIRONMENT, DEFAULT_DORA_WINDOW, HOUR_MS, parseWindow, WEEK_MS } from '../../domain/dora/index.js';
import type { ServerContext } from '../context.js';
import { parseInput } from '../../kernel/http/validate.js';
import type { ApiRoute } from '../openapi/api-route.js';

const DoraQuery = z.object({
  window: z
    .string()
    .default(DEFAULT_DORA_WINDOW)
    .refine((w) => parseWindow(w) !== undefined, 'expected a window such as 12h, 30d or 4w, at most 366d'),
  environment: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,62}$/)
    .default(DEFAULT_DORA_ENVIRONMENT),
  series: z.enum(['hour', 'day', 'week']).optional().describe('Also return the window cut into buckets of this size, for charts.'),
});

const BUCKET_MS = { hour: HOUR_MS, day: DAY_MS, week: WEEK_MS } as const;
/** A chart has no use for more points than this; it also bounds the work of one request. */
const MAX_BUCKETS = 400;

export const doraApi: readonly ApiRoute[] = [
  { method: 'GET', url: '/api/v1/dora', operationId: 'getDora', tag: 'environments', summary: "DORA metrics of an environment over a window, overall and per service", query: DoraQuery },
];

export function doraRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /** DORA metrics of one environment (production by default) over the window ending now, overall and per service. */
  app.get('/api/v1/dora', async (request) => {
    const q = parseInput(DoraQuery, request.query, 'query');
    const declared = ctx.config().environments;
    const env = declared[q.environment];
    if (!env) {
      throw new GantryError('UNKNOWN_ENVIRONMENT', `environment "${q.environment}" is not declared in gantry.yaml`, {
        where: 'query.environment',
        hint: `Pass ?environment= with one of: ${Object.keys(declared).join(', ')}.`,
      });
    }
    const windowMs = parseWindow(q.window) ?? 0;
    const now = ctx.clock.now();
    const records = await ctx.store.dora.deployments(env.name, now - windowMs, now);
    const input = { environment: env.name, now, windowMs, services: env.services };
    const report = computeDora(records, input);
    const bucketMs = q.series ? BUCKET_MS[q.series] : undefined;
    if (bucketMs !== undefined && windowMs / bucketMs > MAX_BUCKETS) {
      throw new GantryError('BAD_REQUEST', `a ${q.window} window in ${q.series} buckets makes more than ${MAX_BUCKETS} points`, { where: 'query.series', hint: 'Use a larger bucket (day or week) or a shorter window.' });
    }
    const series =
      bucketMs === undefined
        ? undefined
        : computeDoraSeries(records, input, bucketMs).map((b) => ({
            start: new Date(b.start).toISOString(),
            deployments: b.metrics.deploymentFrequency.count,
            leadTimeMedianMs: b.metrics.leadTime.medianMs,
            changeFailureRate: b.metrics.changeFailureRate.rate,
            failedChanges: b.metrics.changeFailureRate.count,
            recoveryMedianMs: b.metrics.recoveryTime.medianMs,
          }));
    return {
      window: q.window,
      environment: env.name,
      from: new Date(report.window.start).toISOString(),
      to: new Date(report.window.end).toISOString(),
      overall: report.overall,
      services: report.services,
      ...(series ? { series } : {}),
    };
  });
}
