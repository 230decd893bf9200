// Server-side HTML for the web apps: escaping in one place, and the page frame that shows which
// release and revision is live (handy to see a blue-green switch happen in the browser).

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

export function page({ title, body, identity }) {
  const release = identity.release ?? 'unreleased';
  const revision = identity.revision ?? '-';
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    `<meta name="gantry-release" content="${escapeHtml(release)}">`,
    `<meta name="gantry-revision" content="${escapeHtml(revision)}">`,
    '</head>',
    '<body>',
    body,
    `<footer>${escapeHtml(identity.service)} ${escapeHtml(identity.version)} · release ${escapeHtml(release)} · revision ${escapeHtml(revision)}</footer>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
