// Money is integer cents everywhere; rounding happens once, half away from zero, here.

export const CURRENCY = 'EUR';

export function roundCents(value) {
  return Math.sign(value) * Math.round(Math.abs(value));
}

export function formatCents(cents, currency = CURRENCY) {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${currency} ${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
