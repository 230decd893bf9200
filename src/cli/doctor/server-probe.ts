import { GANTRY_VERSION_HEADER } from '../../server/version.js';

/** What one look at a server address found: its version when a Gantry server answered, else why not. */
export type ServerProbe = { readonly ok: true; readonly version: string } | { readonly ok: false; readonly reachable: boolean; readonly error: string };

/** A real socket is waited on: a real timeout, short enough that `gantry version` and `gantry doctor` answer promptly. */
export const PROBE_TIMEOUT_MS = 3_000;

/**
 * GET /healthz: public (no token needed) and, like every answer of a Gantry server, it carries the
 * version header, so one request tells a Gantry server, something else and nothing apart.
 */
export async function probeServer(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<ServerProbe> {
  let response: Response;
  try {
    response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error: unknown) {
    const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
    const reason = typeof cause === 'string' ? cause : error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : error instanceof Error ? error.message : String(error);
    return { ok: false, reachable: false, error: `unreachable (${reason})` };
  }
  await response.body?.cancel();
  const version = response.headers.get(GANTRY_VERSION_HEADER);
  if (version === null) return { ok: false, reachable: true, error: `answers HTTP ${response.status} but is not a Gantry server (no ${GANTRY_VERSION_HEADER} header)` };
  return { ok: true, version };
}
