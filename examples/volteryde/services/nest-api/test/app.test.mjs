import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { close, listenOnFreePort, request } from '../../../libs/shared/src/http-client.mjs';
import { createApp } from '../src/app.mjs';

describe('nest-api over HTTP', () => {
  const server = createApp({ GANTRY_RELEASE: 'r-42', GANTRY_REVISION: '7', DATABASE_URL: 'postgres://u:p@db/rides' });
  let base;
  before(async () => {
    base = await listenOnFreePort(server);
  });
  after(() => close(server));

  test('answers the health check', async () => {
    const res = await request(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  test('names itself, its release and revision, and never a secret', async () => {
    const res = await request(`${base}/`);
    assert.deepEqual(res.json(), { service: 'nest-api', version: '1.4.0', release: 'r-42', revision: '7', environment: null });
    assert.doesNotMatch(res.text, /postgres/);
  });

  test('quotes a fare from query parameters and from a JSON body', async () => {
    const get = await request(`${base}/api/v1/quotes?km=10&minutes=20&hour=12`);
    const post = await request(`${base}/api/v1/quotes`, { method: 'POST', body: { km: 10, minutes: 20, hour: 12 } });
    assert.equal(get.status, 200);
    assert.equal(get.json().fareCents, 1540);
    assert.deepEqual(post.json(), get.json());
  });

  test('rejects a bad quote request with 400 and an unknown route with 404', async () => {
    assert.equal((await request(`${base}/api/v1/quotes?km=-3&minutes=1`)).status, 400);
    assert.equal((await request(`${base}/api/v1/nothing`)).status, 404);
  });

  test('counts requests in Prometheus format', async () => {
    const res = await request(`${base}/metrics`);
    assert.match(res.type, /^text\/plain/);
    assert.match(res.text, /http_requests_total\{service="nest-api",method="GET",route="\/healthz",code="200"\} 1/);
    assert.match(res.text, /route="unmatched",code="404"/);
  });
});
