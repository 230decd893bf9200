import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { close, listenOnFreePort, request } from '../../../libs/shared/src/http-client.mjs';
import { createApp } from '../src/app.mjs';
import { fakeActivities } from '../src/settle-ride.mjs';

describe('temporal-workers over HTTP', () => {
  const failingMailer = { ...fakeActivities(), sendReceipt: async () => Promise.reject(new Error('smtp down')) };
  const server = createApp({}, failingMailer);
  let base;
  before(async () => {
    base = await listenOnFreePort(server);
  });
  after(() => close(server));

  test('reports its task queue and what it has processed', async () => {
    const res = await request(`${base}/`);
    assert.deepEqual(res.json(), {
      service: 'temporal-workers',
      version: '0.9.2',
      release: null,
      revision: null,
      environment: null,
      taskQueue: 'ride-settlement',
      workflows: ['settleRide'],
      processed: 0,
      failed: 0,
    });
  });

  test('answers 400 to bad input and 502 when an activity keeps failing, counting the failures', async () => {
    assert.equal((await request(`${base}/workflows/settle-ride`, { method: 'POST', body: { rideId: '' } })).status, 400);
    assert.equal((await request(`${base}/workflows/settle-ride`, { method: 'POST', body: { rideId: 'r9', fareCents: 990 } })).status, 502);
    assert.equal((await request(`${base}/`)).json().failed, 2);
  });

  test('settles a ride on request when its activities work', async () => {
    const healthy = createApp();
    const url = await listenOnFreePort(healthy);
    const res = await request(`${url}/workflows/settle-ride`, { method: 'POST', body: { rideId: 'r7', fareCents: 1540 } });
    await close(healthy);
    assert.equal(res.json().status, 'settled');
  });
});
