import type { ServerResponse } from 'node:http';

/** Codes of the answers the router makes up itself; the body is `{"code","message"}` JSON. */
export const RouterErrorCode = {
  NoBackend: 'NO_BACKEND',
  UpstreamError: 'UPSTREAM_ERROR',
  BadRequest: 'BAD_REQUEST',
  /** The route has as many open client connections as its limit allows (connection-limit.ts). */
  RouteBusy: 'ROUTE_BUSY',
} as const;
export type RouterErrorCode = (typeof RouterErrorCode)[keyof typeof RouterErrorCode];

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 502: 'Bad Gateway', 503: 'Service Unavailable' };

export function errorBody(code: RouterErrorCode, message: string): string {
  return JSON.stringify({ code, message });
}

export function sendError(res: ServerResponse, status: number, code: RouterErrorCode, message: string): void {
  const body = errorBody(code, message);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/** The same answer as raw bytes, for a socket the HTTP server handed over (an upgrade request). */
export function rawErrorResponse(status: number, code: RouterErrorCode, message: string): string {
  const body = errorBody(code, message);
  return `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}
