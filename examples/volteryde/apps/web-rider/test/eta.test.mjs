import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderBookingPage } from '../src/booking-page.mjs';
import { MINIMUM_MINUTES, etaMinutes } from '../src/eta.mjs';

describe('arrival estimates', () => {
  test('turns distance into whole minutes at city speed', () => {
    assert.equal(etaMinutes(6), 15);
    assert.equal(etaMinutes(6.1), 16);
  });

  test('never promises less than the pickup minimum', () => {
    assert.equal(etaMinutes(0), MINIMUM_MINUTES);
  });

  test('refuses distances that are negative or not numbers', () => {
    assert.throws(() => etaMinutes(-1), /km must be/);
    assert.throws(() => etaMinutes(Number.NaN), /km must be/);
  });
});

describe('booking page', () => {
  const identity = { service: 'web-rider', version: '5.2.0', release: null, revision: null, environment: null };

  test('shows the nearest vehicle, or says there is none', () => {
    assert.match(renderBookingPage({ nearestKm: 0.8 }, identity), /Nearest vehicle: 0.8 km away/);
    assert.match(renderBookingPage({}, identity), /No vehicle nearby/);
  });
});
