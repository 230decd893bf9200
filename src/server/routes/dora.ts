import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GantryError } from '../../errors/index.js';
import { computeDora, DEFAULT_DORA_ENVIRONMENT, DEFAULT_DORA_WINDOW, parseWindow } from '../../metrics/dora/index.js';
import type { ServerContext } from '../context.js';
import { parseInput } from '../validate.js';

const DoraQuery = z.object({
  window: z
    .string()
    .default(DEFAULT_DORA_WINDOW)
    .refine((w) => parseWindow(w) !== undefined, 'expected a window such as 12h, 30d or 4w, at most 366d'),
  environment: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,62}$/)
    .default(DEFAULT_DORA_ENVIRONMENT),
});

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
    const report = computeDora(records, { environment: env.name, now, windowMs, services: env.services });
    return {
      window: q.window,
      environment: env.name,
      from: new Date(report.window.start).toISOString(),
      to: new Date(report.window.end).toISOString(),
      overall: report.overall,
      services: report.services,
    };
  });
}
