import { escapeHtml, page } from '../../../libs/shared/src/html.mjs';

export const TITLE = 'Volteryde — book a ride';

export function renderBookingPage({ nearestKm }, identity) {
  const body = [
    '<h1>Book a ride</h1>',
    '<form method="post" action="/book"><input name="from" placeholder="Pick-up"><input name="to" placeholder="Drop-off"><button>Book</button></form>',
    nearestKm === undefined ? '<p>No vehicle nearby.</p>' : `<p>Nearest vehicle: ${escapeHtml(nearestKm)} km away.</p>`,
  ].join('\n');
  return page({ title: TITLE, body, identity });
}
