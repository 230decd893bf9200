// Invoice previews: the fares of a rider's rides, with VAT included in each fare (consumer prices).
import { CURRENCY, formatCents, roundCents } from '../../../libs/shared/src/money.mjs';
import { vatRate } from './vat.mjs';

export function previewInvoice({ fares, country = 'DE' }) {
  if (!Array.isArray(fares) || !fares.every((f) => Number.isInteger(f) && f >= 0)) {
    throw new RangeError('fares must be a list of whole, non-negative cent amounts');
  }
  const rate = vatRate(country);
  const totalCents = fares.reduce((sum, f) => sum + f, 0);
  const netCents = roundCents((totalCents * 10_000) / (10_000 + rate));
  return {
    currency: CURRENCY,
    country,
    rides: fares.length,
    netCents,
    vatCents: totalCents - netCents,
    totalCents,
    display: formatCents(totalCents),
  };
}
