import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { close, listenOnFreePort, request } from '../../../libs/shared/src/http-client.mjs';
import { createApp } from '../src/app.mjs';

describe('web-rider over HTTP', () => {
  const server = createApp({ GANTRY_REVISION: '3' });
  let base;
  before(async () => {
    base = await listenOnFreePort(server);
  });
  after(() => close(server));

  test('serves the booking page with the live revision', async () => {
    const res = await request(`${base}/`);
    assert.match(res.text, /<title>Volteryde — book a ride<\/title>/);
    assert.match(res.text, /<meta name="gantry-revision" content="3">/);
  });

  test('estimates arrival over HTTP and answers 400 without a distance', async () => {
    assert.deepEqual((await request(`${base}/api/eta?km=6`)).json(), { km: 6, minutes: 15 });
    assert.equal((await request(`${base}/api/eta`)).status, 400);
  });
});
