import { HttpError, createService } from '../../../libs/shared/src/http-service.mjs';
import { quote } from './quotes.mjs';

export const SERVICE = 'nest-api';
export const VERSION = '1.4.0';

function quoteOrBadRequest(input) {
  try {
    return { json: quote(input) };
  } catch (error) {
    throw new HttpError(400, error.message);
  }
}

const numberParam = (url, name) => (url.searchParams.has(name) ? Number(url.searchParams.get(name)) : undefined);

export function createApp(env = {}) {
  return createService({
    name: SERVICE,
    version: VERSION,
    env,
    routes: {
      'GET /api/v1/quotes': ({ url }) => quoteOrBadRequest({ km: numberParam(url, 'km'), minutes: numberParam(url, 'minutes'), hour: numberParam(url, 'hour') }),
      'POST /api/v1/quotes': ({ body }) => quoteOrBadRequest(body ?? {}),
    },
  });
}
