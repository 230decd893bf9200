import { environmentPlacements } from '../../config/environment-placements.js';
import type { GantryConfig } from '../../config/types.js';

/**
 * One service of one environment as a local agent serves it: the port users reach, the preview
 * port (blue-green) and the connection limit of both. The control plane works this out from
 * gantry.yaml and tells the agent (PUT /v1/routes), which keeps it in its state file: the agent
 * never reads gantry.yaml itself.
 */
export interface ServedRoute {
  readonly environment: string;
  readonly service: string;
  readonly port: number;
  readonly previewPort?: number | undefined;
  /** services.<name>.run.maxConnections; absent: the router's default (router/open-file-budget.ts). */
  readonly maxConnections?: number | undefined;
}

export const routeId = (environment: string, service: string, route: 'main' | 'preview'): string => `${environment}/${service}/${route}`;

/**
 * What the agent of `targetName` serves: the environments whose `target` (or one of whose regions)
 * names it, at the ports of that region. The agent refuses everything else, so a dev deployment can
 * never touch production's agent (environment isolation).
 */
export function routeLayout(config: GantryConfig, targetName: string): ServedRoute[] {
  const out: ServedRoute[] = [];
  for (const env of Object.values(config.environments)) {
    const placement = environmentPlacements(env).find((p) => p.target === targetName);
    if (!placement) continue;
    for (const name of env.services) {
      const run = config.services[name]?.run;
      if (!run) continue;
      const port = run.port + placement.portOffset;
      out.push({
        environment: env.name,
        service: name,
        port,
        ...(env.strategy.kind === 'blue-green' ? { previewPort: port + env.strategy.previewPortOffset } : {}),
        ...(run.maxConnections === undefined ? {} : { maxConnections: run.maxConnections }),
      });
    }
  }
  return out;
}

/** Route id → maxConnections for every route (main and preview) of the layout whose service sets it. */
export function routeConnectionLimits(config: GantryConfig, targetName: string): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const r of routeLayout(config, targetName)) {
    if (r.maxConnections === undefined) continue;
    limits[routeId(r.environment, r.service, 'main')] = r.maxConnections;
    if (r.previewPort !== undefined) limits[routeId(r.environment, r.service, 'preview')] = r.maxConnections;
  }
  return limits;
}
