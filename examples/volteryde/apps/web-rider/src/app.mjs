import { HttpError, createService, identity } from '../../../libs/shared/src/http-service.mjs';
import { renderBookingPage } from './booking-page.mjs';
import { etaMinutes } from './eta.mjs';

export const SERVICE = 'web-rider';
export const VERSION = '5.2.0';

export function createApp(env = {}) {
  return createService({
    name: SERVICE,
    version: VERSION,
    env,
    routes: {
      'GET /': () => ({ html: renderBookingPage({ nearestKm: 1.2 }, identity(SERVICE, VERSION, env)) }),
      'GET /api/eta': ({ url }) => {
        try {
          const km = Number(url.searchParams.get('km') ?? Number.NaN);
          return { json: { km, minutes: etaMinutes(km) } };
        } catch (error) {
          throw new HttpError(400, error.message);
        }
      },
    },
  });
}
