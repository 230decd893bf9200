import type { GantryConfig } from '../config/types.js';
import { routeId, servedServices } from './served.js';

/**
 * Route id → `services.<name>.run.maxConnections` for every route the agent of `targetName` serves
 * (main and, for blue-green, preview) whose service sets it. The router gives the other routes its
 * default, derived from the file limit (router/open-file-budget.ts).
 */
export function routeConnectionLimits(config: GantryConfig, targetName: string): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const served of servedServices(config, targetName)) {
    const max = config.services[served.service]?.run?.maxConnections;
    if (max === undefined) continue;
    limits[routeId(served.environment, served.service, 'main')] = max;
    if (served.previewPort !== undefined) limits[routeId(served.environment, served.service, 'preview')] = max;
  }
  return limits;
}
