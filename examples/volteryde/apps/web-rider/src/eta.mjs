// Arrival estimates: distance over an average city speed, never less than the pickup minimum.
export const CITY_KMH = 24;
export const MINIMUM_MINUTES = 2;

export function etaMinutes(km) {
  if (typeof km !== 'number' || !Number.isFinite(km) || km < 0) throw new RangeError('km must be a non-negative number');
  return Math.max(MINIMUM_MINUTES, Math.ceil((km / CITY_KMH) * 60));
}
