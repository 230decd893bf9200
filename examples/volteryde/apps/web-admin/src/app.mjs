import { createService, identity } from '../../../libs/shared/src/http-service.mjs';
import { renderDashboard } from './dashboard.mjs';
import { SAMPLE_VEHICLES, summarise } from './fleet.mjs';

export const SERVICE = 'web-admin';
export const VERSION = '3.0.0';

export function createApp(env = {}, vehicles = SAMPLE_VEHICLES) {
  return createService({
    name: SERVICE,
    version: VERSION,
    env,
    routes: {
      'GET /': () => ({ html: renderDashboard(summarise(vehicles), identity(SERVICE, VERSION, env)) }),
      'GET /api/summary': () => ({ json: summarise(vehicles) }),
    },
  });
}
