#!/usr/bin/env node
// Integration tests across the deployed services of one environment (the `integration` verify
// step of staging in gantry.yaml).
//   usage: node tools/integration.mjs <service base URL>...     (exit 0 pass, 1 fail, 2 usage)
// Each service is recognised by the name it reports at /version, so the URLs may come in any order.
import { request } from '../libs/shared/src/http-client.mjs';

const urls = process.argv.slice(2).map((u) => u.replace(/\/+$/, ''));
if (urls.length === 0) {
  console.error('usage: node tools/integration.mjs <service base URL>...');
  process.exit(2);
}

const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok ${results.length} - ${name}`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`not ok ${results.length} - ${name}\n  # ${error instanceof Error ? error.message : String(error)}`);
  }
}
function expect(condition, message) {
  if (!condition) throw new Error(message);
}

const services = new Map();
for (const url of urls) {
  await check(`${url} is healthy and names itself`, async () => {
    const health = await request(`${url}/healthz`);
    expect(health.status === 200, `GET /healthz answered ${health.status}`);
    const version = (await request(`${url}/version`)).json();
    expect(typeof version.service === 'string', 'GET /version has no service name');
    services.set(version.service, { url, ...version });
  });
}

await check('every service runs the same release', async () => {
  const releases = new Set([...services.values()].map((s) => s.release));
  expect(releases.size <= 1, `mixed releases: ${[...services.values()].map((s) => `${s.service}=${s.release}`).join(', ')}`);
});

const api = services.get('nest-api');
const billing = services.get('billing');
const workers = services.get('temporal-workers');
if (api && billing) {
  await check('a quoted fare is invoiced to the cent', async () => {
    const quote = (await request(`${api.url}/api/v1/quotes`, { method: 'POST', body: { km: 8, minutes: 15, hour: 12 } })).json();
    const invoice = (await request(`${billing.url}/invoices/preview`, { method: 'POST', body: { fares: [quote.fareCents], country: 'DE' } })).json();
    expect(invoice.totalCents === quote.fareCents, `quote ${quote.fareCents} but invoice ${invoice.totalCents}`);
    expect(invoice.netCents + invoice.vatCents === invoice.totalCents, 'net + VAT is not the total');
  });
}
if (api && workers) {
  await check('a quoted ride can be settled by the workers', async () => {
    const quote = (await request(`${api.url}/api/v1/quotes?km=3&minutes=9`)).json();
    const res = await request(`${workers.url}/workflows/settle-ride`, { method: 'POST', body: { rideId: 'integration-1', fareCents: quote.fareCents } });
    expect(res.status === 200 && res.json().status === 'settled', `settle-ride answered ${res.status}: ${res.text}`);
  });
}
for (const name of ['web-admin', 'web-rider']) {
  const web = services.get(name);
  if (!web) continue;
  await check(`${name} serves a page that shows its release`, async () => {
    const res = await request(`${web.url}/`);
    expect(res.status === 200 && /^text\/html/.test(res.type), `GET / answered ${res.status} ${res.type}`);
    expect(res.text.includes(`content="${web.release ?? 'unreleased'}"`), 'the page does not show the live release');
  });
}

const failed = results.filter((r) => !r.ok).length;
console.log(`1..${results.length}\n# ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
