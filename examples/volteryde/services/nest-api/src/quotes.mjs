// Fare quotes. Pure functions: the HTTP layer (app.mjs) only parses and serialises.
import { CURRENCY, roundCents } from '../../../libs/shared/src/money.mjs';

export const TARIFF = Object.freeze({ baseCents: 150, perKmCents: 95, perMinuteCents: 22, minimumCents: 500 });
const PEAK_HOURS = new Set([7, 8, 17, 18]);
export const PEAK_SURGE = 1.3;

export function surgeAt(hour) {
  return PEAK_HOURS.has(hour) ? PEAK_SURGE : 1;
}

export function quote({ km, minutes, hour = 12 }) {
  for (const [name, value] of Object.entries({ km, minutes })) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  }
  if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new RangeError('hour must be 0-23');
  const surge = surgeAt(hour);
  const raw = (TARIFF.baseCents + km * TARIFF.perKmCents + minutes * TARIFF.perMinuteCents) * surge;
  return { currency: CURRENCY, km, minutes, surge, fareCents: Math.max(TARIFF.minimumCents, roundCents(raw)) };
}
