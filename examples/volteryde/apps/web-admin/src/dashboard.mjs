import { escapeHtml, page } from '../../../libs/shared/src/html.mjs';

export const TITLE = 'Volteryde Admin';

export function renderDashboard(summary, identity) {
  const rows = Object.entries(summary.byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `<tr><td>${escapeHtml(status)}</td><td>${count}</td></tr>`)
    .join('\n');
  const alert =
    summary.lowBattery.length > 0 ? `<p class="alert">Low battery, not charging: ${summary.lowBattery.map(escapeHtml).join(', ')}</p>` : '<p>All vehicles charged.</p>';
  const body = [`<h1>${TITLE}</h1>`, `<p>${summary.vehicles} vehicles</p>`, '<table>', rows, '</table>', alert].join('\n');
  return page({ title: TITLE, body, identity });
}
