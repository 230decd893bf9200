// VAT rates in basis points (1/100 of a percent), so that all arithmetic stays in integers.
export const VAT_BASIS_POINTS = Object.freeze({ DE: 1900, FR: 2000, NL: 2100, GH: 1500 });

export function vatRate(country) {
  const rate = VAT_BASIS_POINTS[country];
  if (rate === undefined) throw new RangeError(`no VAT rate for country "${country}"`);
  return rate;
}
