/** A parsed `WWW-Authenticate` challenge (RFC 7235) of the kinds registries send. */
export interface AuthChallenge {
  /** Lower case: `basic`, `bearer`, or another scheme Gantry cannot answer. */
  readonly scheme: string;
  /** Parameter names lower-cased; for Bearer: `realm`, `service`, `scope`. */
  readonly params: Readonly<Record<string, string>>;
}

// name=value or name="quoted \"value\"", separated by commas.
const PARAM = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;

/**
 * Reads the first challenge of a header such as
 * `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"`.
 * A quoted value may hold commas (scopes do), so values are read as tokens, not split on commas.
 * Returns undefined for an empty or missing header.
 */
export function parseAuthChallenge(header: string | undefined): AuthChallenge | undefined {
  const text = header?.trim() ?? '';
  const scheme = /^([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)/.exec(text);
  if (!scheme?.[1]) return undefined;
  const rest = text.slice(scheme[0].length);
  const params: Record<string, string> = {};
  for (const match of rest.matchAll(PARAM)) {
    const name = match[1]?.toLowerCase();
    if (name === undefined || name in params) continue;
    params[name] = match[2] === undefined ? (match[3] ?? '') : match[2].replace(/\\(.)/g, '$1');
  }
  return { scheme: scheme[1].toLowerCase(), params };
}

/** The token endpoint to ask for a Bearer challenge: realm with `service` and `scope` as query parameters. */
export function tokenUrl(challenge: AuthChallenge): URL | undefined {
  const realm = challenge.params['realm'];
  if (realm === undefined || realm === '') return undefined;
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    return undefined;
  }
  const { service, scope } = challenge.params;
  if (service !== undefined) url.searchParams.set('service', service);
  // A challenge may name several scopes separated by spaces; the token service takes one parameter each.
  for (const one of (scope ?? '').split(' ').filter((s) => s !== '')) url.searchParams.append('scope', one);
  return url;
}
