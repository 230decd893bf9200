import { HttpError, createService, identity } from '../../../libs/shared/src/http-service.mjs';
import { fakeActivities, settleRide } from './settle-ride.mjs';
import { TASK_QUEUE, createWorker } from './worker.mjs';

export const SERVICE = 'temporal-workers';
export const VERSION = '0.9.2';

export function createApp(env = {}, activities = fakeActivities()) {
  const worker = createWorker({ settleRide }, activities);
  return createService({
    name: SERVICE,
    version: VERSION,
    env,
    routes: {
      'GET /': () => ({ json: { ...identity(SERVICE, VERSION, env), taskQueue: TASK_QUEUE, workflows: worker.names, ...worker.stats } }),
      'POST /workflows/settle-ride': async ({ body }) => {
        try {
          return { json: await worker.execute('settleRide', body ?? {}) };
        } catch (error) {
          throw new HttpError(error instanceof RangeError ? 400 : 502, error.message);
        }
      },
    },
  });
}
