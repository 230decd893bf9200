import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { previewInvoice } from '../src/invoice.mjs';
import { vatRate } from '../src/vat.mjs';

describe('previewInvoice', () => {
  test('splits VAT out of consumer prices', () => {
    assert.deepEqual(previewInvoice({ fares: [1190, 2380], country: 'DE' }), {
      currency: 'EUR',
      country: 'DE',
      rides: 2,
      netCents: 3000,
      vatCents: 570,
      totalCents: 3570,
      display: 'EUR 35.70',
    });
  });

  test('invoices no rides as zero', () => {
    assert.equal(previewInvoice({ fares: [] }).totalCents, 0);
  });

  test('refuses fractional cents and unknown countries', () => {
    assert.throws(() => previewInvoice({ fares: [10.5] }), /whole, non-negative/);
    assert.throws(() => previewInvoice({ fares: 'x' }), /whole, non-negative/);
    assert.throws(() => vatRate('XX'), /no VAT rate/);
  });
});
