import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PEAK_SURGE, TARIFF, quote, surgeAt } from '../src/quotes.mjs';

describe('quote', () => {
  test('charges base, distance and time off-peak', () => {
    assert.deepEqual(quote({ km: 10, minutes: 20, hour: 12 }), { currency: 'EUR', km: 10, minutes: 20, surge: 1, fareCents: 150 + 950 + 440 });
  });

  test('applies the surge at peak hours', () => {
    assert.equal(surgeAt(8), PEAK_SURGE);
    assert.equal(quote({ km: 10, minutes: 20, hour: 8 }).fareCents, Math.round(1540 * PEAK_SURGE));
  });

  test('never charges less than the minimum fare', () => {
    assert.equal(quote({ km: 0, minutes: 1 }).fareCents, TARIFF.minimumCents);
  });

  test('refuses negative or missing distances and impossible hours', () => {
    assert.throws(() => quote({ km: -1, minutes: 3 }), /km must be/);
    assert.throws(() => quote({ minutes: 3 }), /km must be/);
    assert.throws(() => quote({ km: 1, minutes: 3, hour: 24 }), /hour must be/);
  });
});
