/**
 * Header rewriting for the proxy hop, written for the hot path: one pass over the raw header list,
 * names classified by length first so the common headers (Host, Accept, User-Agent …) cost one
 * integer switch and no lower-casing.
 */

/** What a header means to the proxy. */
const Kind = {
  Plain: 0,
  /** Meaningful for one connection only (RFC 9110 §7.6.1): never forwarded. */
  HopByHop: 1,
  Connection: 2,
  Upgrade: 3,
  ContentLength: 4,
  TransferEncoding: 5,
  ForwardedFor: 6,
  ForwardedProto: 7,
  ForwardedHost: 8,
  Host: 9,
  /** Only on responses: the router sets its own. */
  GantryBackend: 10,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/** Case-insensitive equality with a lowercase constant; most senders already use lower case. */
function is(name: string, lower: string): boolean {
  return name === lower || name.toLowerCase() === lower;
}

function classify(name: string): Kind {
  switch (name.length) {
    case 2:
      return is(name, 'te') ? Kind.HopByHop : Kind.Plain;
    case 4:
      return is(name, 'host') ? Kind.Host : Kind.Plain;
    case 6:
      // The router's server answers `Expect: 100-continue` itself; the upstream client cannot.
      return is(name, 'expect') ? Kind.HopByHop : Kind.Plain;
    case 7: {
      const lower = name.toLowerCase();
      return lower === 'upgrade' ? Kind.Upgrade : lower === 'trailer' ? Kind.HopByHop : Kind.Plain;
    }
    case 10: {
      const lower = name.toLowerCase();
      return lower === 'connection' ? Kind.Connection : lower === 'keep-alive' ? Kind.HopByHop : Kind.Plain;
    }
    case 14:
      return is(name, 'content-length') ? Kind.ContentLength : Kind.Plain;
    case 15:
      return is(name, 'x-forwarded-for') ? Kind.ForwardedFor : Kind.Plain;
    case 16: {
      const lower = name.toLowerCase();
      if (lower === 'proxy-connection') return Kind.HopByHop;
      if (lower === 'x-forwarded-host') return Kind.ForwardedHost;
      return lower === 'x-gantry-backend' ? Kind.GantryBackend : Kind.Plain;
    }
    case 17: {
      const lower = name.toLowerCase();
      return lower === 'transfer-encoding' ? Kind.TransferEncoding : lower === 'x-forwarded-proto' ? Kind.ForwardedProto : Kind.Plain;
    }
    case 19:
      // Credentials for a proxy, and the router is not one the client authenticates to.
      return is(name, 'proxy-authorization') ? Kind.HopByHop : Kind.Plain;
    default:
      return Kind.Plain;
  }
}

/**
 * Headers a `Connection` value may not remove: the framing, and the ones the router vouches for.
 * (`Connection: X-Forwarded-For` is a known trick to make a proxy strip what it just added.)
 */
const PROTECTED = new Set(['host', 'content-length', 'transfer-encoding', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-gantry-backend']);

/**
 * Adds the extra header names a `Connection` value declares hop-by-hop (`Connection: close, X-Foo`)
 * to `into`. Returns `into` unchanged (usually undefined) for the common values, so the usual path
 * allocates nothing.
 */
function connectionTokens(value: string, into: Set<string> | undefined): Set<string> | undefined {
  const lower = value.toLowerCase();
  if (lower === 'keep-alive' || lower === 'close' || lower === 'upgrade') return into;
  let tokens = into;
  for (const raw of lower.split(',')) {
    const token = raw.trim();
    if (token === '' || token === 'keep-alive' || token === 'close' || token === 'upgrade' || PROTECTED.has(token)) continue;
    (tokens ??= new Set()).add(token);
  }
  return tokens;
}

function dropNamed(headers: string[], names: Set<string>): string[] {
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!names.has(headers[i]!.toLowerCase())) kept.push(headers[i]!, headers[i + 1]!);
  }
  return kept;
}

/** Filled in by `requestHeaders` alongside the list it returns (an out-parameter: no object per request). */
export interface RequestFacts {
  hasBody: boolean;
  /** The client asked to switch protocols (WebSocket); set only when `keepUpgrade` is true. */
  upgrade: string | undefined;
}

/**
 * The headers to send upstream, as a flat `[name, value, …]` list: hop-by-hop ones dropped,
 * `X-Forwarded-For` extended with the client address, `X-Forwarded-Proto` and `-Host` set unless a
 * proxy in front of the router (a TLS terminator) already set them, since it knows better.
 * With `keepUpgrade`, `Upgrade` and `Connection: upgrade` survive for a WebSocket handshake.
 */
export function requestHeaders(raw: readonly string[], clientAddress: string | undefined, facts: RequestFacts, keepUpgrade = false): string[] {
  const out: string[] = [];
  let forwardedFor: string | undefined;
  let hasProto = false;
  let hasForwardedHost = false;
  let host: string | undefined;
  let extraHop: Set<string> | undefined;
  facts.hasBody = false;
  facts.upgrade = undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    switch (classify(name)) {
      case Kind.Plain:
      case Kind.GantryBackend:
        out.push(name, value);
        break;
      case Kind.Host:
        host = value;
        out.push(name, value);
        break;
      case Kind.ContentLength:
        if (value !== '0') facts.hasBody = true;
        out.push(name, value);
        break;
      case Kind.TransferEncoding:
        // The body is re-framed on the upstream connection; the client's framing stays behind.
        facts.hasBody = true;
        break;
      case Kind.ForwardedFor:
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        break;
      case Kind.ForwardedProto:
        hasProto = true;
        out.push(name, value);
        break;
      case Kind.ForwardedHost:
        hasForwardedHost = true;
        out.push(name, value);
        break;
      case Kind.Connection:
        extraHop = connectionTokens(value, extraHop);
        break;
      case Kind.Upgrade:
        if (keepUpgrade) facts.upgrade = value;
        break;
      default:
        break;
    }
  }
  if (clientAddress !== undefined) forwardedFor = forwardedFor === undefined ? clientAddress : `${forwardedFor}, ${clientAddress}`;
  if (forwardedFor !== undefined) out.push('x-forwarded-for', forwardedFor);
  if (!hasProto) out.push('x-forwarded-proto', 'http');
  if (!hasForwardedHost && host !== undefined) out.push('x-forwarded-host', host);
  return extraHop === undefined ? out : dropNamed(out, extraHop);
}

/** Filled in by `responseHeaders`: how the upstream framed its body. */
export interface ResponseFacts {
  /** The declared body length, or -1 when the body is chunked or read until close. */
  contentLength: number;
  chunked: boolean;
}

/**
 * The headers to send the client, as a flat list for `writeHead`: the upstream's own, minus
 * hop-by-hop ones (the router's server frames the body and manages its connection itself),
 * plus `x-gantry-backend` naming the backend that answered.
 */
export function responseHeaders(raw: readonly Buffer[], backendId: string, facts: ResponseFacts): string[] {
  const out: string[] = [];
  let extraHop: Set<string> | undefined;
  let lengthAt = -1;
  facts.contentLength = -1;
  facts.chunked = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    switch (classify(name)) {
      case Kind.ContentLength: {
        const value = raw[i + 1]!.toString('latin1');
        facts.contentLength = /^\d+$/.test(value) ? Number(value) : -1;
        lengthAt = out.length;
        out.push(name, value);
        break;
      }
      case Kind.TransferEncoding:
        // Chunked framing wins over a content length (RFC 9112 §6.3); the router re-frames it.
        facts.chunked = true;
        break;
      case Kind.Plain:
      case Kind.Host:
      case Kind.ForwardedFor:
      case Kind.ForwardedProto:
      case Kind.ForwardedHost:
        out.push(name, raw[i + 1]!.toString('latin1'));
        break;
      case Kind.Connection:
        extraHop = connectionTokens(raw[i + 1]!.toString('latin1'), extraHop);
        break;
      default:
        break;
    }
  }
  if (facts.chunked) {
    facts.contentLength = -1;
    if (lengthAt >= 0) out.splice(lengthAt, 2);
  }
  out.push('x-gantry-backend', backendId);
  return extraHop === undefined ? out : dropNamed(out, extraHop);
}
