import type { GantryConfig } from '../config/types.js';

/** One service of one environment as an agent serves it: its user port and its preview port. */
export interface ServedService {
  readonly environment: string;
  readonly service: string;
  readonly port: number;
  readonly previewPort: number | undefined;
}

/**
 * What an agent may serve: the environments whose `target` names it. It refuses everything else,
 * so a dev deployment can never touch production's agent (environment isolation).
 */
export function servedServices(config: GantryConfig, targetName: string): ServedService[] {
  const out: ServedService[] = [];
  for (const env of Object.values(config.environments)) {
    if (env.target !== targetName) continue;
    for (const name of env.services) {
      const service = config.services[name];
      if (!service?.run) continue;
      const port = service.run.port + env.portOffset;
      out.push({
        environment: env.name,
        service: name,
        port,
        previewPort: env.strategy.kind === 'blue-green' ? port + env.strategy.previewPortOffset : undefined,
      });
    }
  }
  return out;
}

export const routeId = (environment: string, service: string, route: 'main' | 'preview'): string => `${environment}/${service}/${route}`;
