import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NonRetryableError } from '../src/retry.mjs';
import { fakeActivities, settleRide } from '../src/settle-ride.mjs';

const flaky = (failures, error = new Error('provider timeout')) => {
  let calls = 0;
  return async () => {
    calls += 1;
    if (calls <= failures) throw error;
    return { paymentId: 'pay_1' };
  };
};

describe('settleRide', () => {
  test('captures the payment, then sends the receipt', async () => {
    const result = await settleRide({ rideId: 'r1', fareCents: 1540 }, fakeActivities());
    assert.equal(result.status, 'settled');
    assert.deepEqual(result.steps.map((s) => s.activity), ['capturePayment', 'sendReceipt']);
  });

  test('retries an activity that fails for a passing reason', async () => {
    const result = await settleRide({ rideId: 'r1', fareCents: 1540 }, { ...fakeActivities(), capturePayment: flaky(2) });
    assert.equal(result.steps[0].attempts, 3);
  });

  test('gives up after the last attempt, and at once on a non-retryable error', async () => {
    await assert.rejects(settleRide({ rideId: 'r1', fareCents: 1540 }, { ...fakeActivities(), capturePayment: flaky(3) }), /provider timeout/);
    const declined = flaky(1, new NonRetryableError('card declined'));
    await assert.rejects(settleRide({ rideId: 'r1', fareCents: 1540 }, { ...fakeActivities(), capturePayment: declined }), /card declined/);
  });

  test('refuses a ride without id or with a fare that is not positive', async () => {
    await assert.rejects(settleRide({ fareCents: 10 }, fakeActivities()), /rideId/);
    await assert.rejects(settleRide({ rideId: 'r1', fareCents: 0 }, fakeActivities()), /fareCents/);
  });
});
