import { HttpError, createService, identity } from '../../../libs/shared/src/http-service.mjs';
import { previewInvoice } from './invoice.mjs';

export const SERVICE = 'billing';
export const VERSION = '2.3.1';

function previewOrBadRequest(input) {
  try {
    return { json: previewInvoice(input) };
  } catch (error) {
    throw new HttpError(400, error.message);
  }
}

export function createApp(env = {}) {
  return createService({
    name: SERVICE,
    version: VERSION,
    env,
    routes: {
      // Reports whether the payment provider is configured, never the key itself.
      'GET /': () => ({ json: { ...identity(SERVICE, VERSION, env), stripe: env.STRIPE_KEY ? 'configured' : 'missing' } }),
      'GET /invoices/preview': ({ url }) =>
        previewOrBadRequest({
          fares: (url.searchParams.get('fares') ?? '').split(',').filter(Boolean).map(Number),
          country: url.searchParams.get('country') ?? undefined,
        }),
      'POST /invoices/preview': ({ body }) => previewOrBadRequest(body ?? {}),
    },
  });
}
