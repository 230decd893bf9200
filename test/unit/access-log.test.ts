import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AccessLogController, registerAccessLog } from '../../src/kernel/http/access-log.js';
import { errorHandler } from '../../src/kernel/http/http-errors.js';
import { redactUrl } from '../../src/kernel/http/redact-url.js';
import { requestId } from '../../src/kernel/http/request-id.js';

const withHeader = (value: string | undefined): IncomingMessage => ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as IncomingMessage;

describe('request ids', () => {
  it('keeps a caller’s plain token and replaces anything else with a fresh UUID', () => {
    for (const kept of ['abc123', '5b2df7e9-a288-4f72-ad1c-df85f6a5e4fc', 'Root=1-67891233-abcdef012345678912345678', 'aGVsbG8=']) expect(requestId(withHeader(kept))).toBe(kept);
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const replaced of [undefined, '', 'has space', 'line\nbreak', '"quoted"', 'x'.repeat(129), '-leading-dash']) expect(requestId(withHeader(replaced))).toMatch(uuid);
  });
});

describe('URLs in the log', () => {
  it('redacts token-like query values and keeps the rest byte for byte', () => {
    expect(redactUrl('/api/v1/runs?limit=1&token=gty_abc&branch=feature%2Fx')).toBe('/api/v1/runs?limit=1&token=[redacted]&branch=feature%2Fx');
    expect(redactUrl('/cb?code=123&state=s&access_token=t&api-key=k&X-Amz-Signature=s&password=p&sig=q')).toBe('/cb?code=[redacted]&state=s&access_token=[redacted]&api-key=[redacted]&X-Amz-Signature=[redacted]&password=[redacted]&sig=[redacted]');
    expect(redactUrl('/api/v1/dora?window=30d&environment=production')).toBe('/api/v1/dora?window=30d&environment=production');
    expect(redactUrl('/healthz')).toBe('/healthz');
    expect(redactUrl('/x?%74oken=secret&flag')).toBe('/x?%74oken=[redacted]&flag');
  });
});

describe('the access log of an app', () => {
  async function appLogging() {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const loggerInstance: FastifyBaseLogger = logger;
    const app = Fastify({ loggerInstance, logController: new AccessLogController(), genReqId: requestId });
    app.setErrorHandler(errorHandler(logger));
    registerAccessLog(app, { quiet: (path) => path === '/healthz' });
    app.get('/boom', async () => {
      throw new Error('the database went away');
    });
    app.get('/healthz', async () => ({ ok: true }));
    await app.ready();
    return { app, lines };
  }

  it('logs a failed request once with its id, and the error with the same id', async () => {
    const { app, lines } = await appLogging();
    const res = await app.inject({ method: 'GET', url: '/boom?token=secret', headers: { 'x-request-id': 'req-500', authorization: 'Bearer gty_secret' } });
    expect(res.statusCode).toBe(500);
    expect(res.headers['x-request-id']).toBe('req-500');
    await app.close();
    const error = lines.find((l) => l.msg === 'request failed');
    expect(error).toMatchObject({ level: 50, reqId: 'req-500', url: '/boom?token=[redacted]', err: { message: 'the database went away' } });
    const access = lines.filter((l) => l.msg === 'request completed');
    expect(access).toEqual([expect.objectContaining({ level: 30, reqId: 'req-500', method: 'GET', url: '/boom?token=[redacted]', statusCode: 500 })]);
    expect(JSON.stringify(lines)).not.toContain('secret');
    // Fastify's own two lines per request are replaced by ours.
    expect(lines.some((l) => l.msg === 'incoming request')).toBe(false);
  });

  it('logs a quiet path at debug when it succeeds', async () => {
    const { app, lines } = await appLogging();
    await app.inject({ method: 'GET', url: '/healthz' });
    await app.close();
    expect(lines.filter((l) => l.msg === 'request completed')).toEqual([expect.objectContaining({ level: 20, url: '/healthz', statusCode: 200 })]);
  });
});
