import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { close, listenOnFreePort, request } from '../../../libs/shared/src/http-client.mjs';
import { createApp } from '../src/app.mjs';

describe('billing over HTTP', () => {
  const server = createApp({ STRIPE_KEY: 'sk_test_4eC39HqLyjWDarjtT1zdp7dc', GANTRY_ENVIRONMENT: 'staging' });
  let base;
  before(async () => {
    base = await listenOnFreePort(server);
  });
  after(() => close(server));

  test('says the payment provider is configured without showing the key', async () => {
    const res = await request(`${base}/`);
    assert.equal(res.json().stripe, 'configured');
    assert.equal(res.json().environment, 'staging');
    assert.doesNotMatch(res.text, /sk_test/);
  });

  test('previews an invoice from the query string and from a JSON body', async () => {
    const get = await request(`${base}/invoices/preview?fares=1190,2380&country=DE`);
    const post = await request(`${base}/invoices/preview`, { method: 'POST', body: { fares: [1190, 2380], country: 'DE' } });
    assert.equal(get.json().totalCents, 3570);
    assert.deepEqual(post.json(), get.json());
  });

  test('answers 400 to a bad preview and to a missing body', async () => {
    assert.equal((await request(`${base}/invoices/preview?fares=1,2&country=XX`)).status, 400);
    assert.equal((await request(`${base}/invoices/preview`, { method: 'POST', body: undefined })).status, 400);
  });

  test('answers HEAD like GET, without a body', async () => {
    const res = await request(`${base}/healthz`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
  });
});
