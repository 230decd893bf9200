import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { close, listenOnFreePort, request } from '../../../libs/shared/src/http-client.mjs';
import { createApp } from '../src/app.mjs';

describe('web-admin over HTTP', () => {
  const server = createApp({ GANTRY_RELEASE: 'r-9' });
  let base;
  before(async () => {
    base = await listenOnFreePort(server);
  });
  after(() => close(server));

  test('serves the dashboard as HTML', async () => {
    const res = await request(`${base}/`);
    assert.equal(res.status, 200);
    assert.match(res.type, /^text\/html/);
    assert.match(res.text, /content="r-9"/);
  });

  test('serves the summary as JSON and its version for Gantry', async () => {
    assert.equal((await request(`${base}/api/summary`)).json().vehicles, 4);
    assert.equal((await request(`${base}/version`)).json().release, 'r-9');
  });
});
