/** Query parameters whose value is a credential: never written to a log. */
const SECRET_PARAM = /token|secret|passw|pwd|api[-_]?key|signature|^sig$|^auth|session|credential|^code$/i;

export const REDACTED = '[redacted]';

/**
 * The URL as a log may show it: every token-like query value replaced, the rest kept byte for byte
 * (re-encoding through URLSearchParams would change what the client sent).
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url.slice(q + 1).split('&').map((part) => {
    const eq = part.indexOf('=');
    if (eq < 0) return part;
    return SECRET_PARAM.test(decodeName(part.slice(0, eq))) ? `${part.slice(0, eq)}=${REDACTED}` : part;
  });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
