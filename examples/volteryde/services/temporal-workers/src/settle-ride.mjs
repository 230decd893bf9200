// The settleRide workflow: capture the payment, then send the receipt. Deterministic given its
// activities, which do all the I/O and are injected (fakes in tests and in this stand-in).
import { withRetry } from './retry.mjs';

export async function settleRide({ rideId, fareCents }, activities) {
  if (typeof rideId !== 'string' || rideId === '') throw new RangeError('rideId is required');
  if (!Number.isInteger(fareCents) || fareCents <= 0) throw new RangeError('fareCents must be a positive whole number');
  const steps = [];
  const payment = await withRetry(activities.capturePayment, { rideId, fareCents });
  steps.push({ activity: 'capturePayment', attempts: payment.attempts });
  const receipt = await withRetry(activities.sendReceipt, { rideId, paymentId: payment.result.paymentId });
  steps.push({ activity: 'sendReceipt', attempts: receipt.attempts });
  return { rideId, status: 'settled', paymentId: payment.result.paymentId, steps };
}

/** In-memory activities: the stand-in has no payment provider or mailer to call. */
export function fakeActivities() {
  let next = 1;
  return {
    capturePayment: async ({ rideId }) => ({ paymentId: `pay_${rideId}_${next++}` }),
    sendReceipt: async () => ({ sent: true }),
  };
}
