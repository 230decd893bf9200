import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Router } from '../../src/agent/router/index.js';
import { until } from '../support/temp.js';

/**
 * The router's passive health and retries over real sockets, for the rules the agent-level test
 * (hung-replica.test.ts) cannot pin: what is never retried, and that the last backend stays.
 */

const routers: Router[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.close()));
  for (const server of servers.splice(0)) server.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

interface Backend {
  readonly url: string;
  readonly methods: string[];
  /** While set, requests are held without a byte of answer (a hung process). */
  hang: boolean;
}

async function backend(): Promise<Backend> {
  const held: ServerResponse[] = [];
  const state: Backend = { url: '', methods: [], hang: false };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.methods.push(req.method ?? '');
    if (state.hang) held.push(res);
    else res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return Object.assign(state, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

/** A loopback port nobody listens on: connections to it are refused. */
async function refusingUrl(): Promise<string> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

async function routed(backends: { id: string; url: string }[], logLines: string[] = []): Promise<string> {
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (logLines.push(chunk.toString()), done()) });
  const router = new Router({ logger: pino({ level: 'warn' }, sink) });
  routers.push(router);
  const port = await router.listen('svc', 0);
  router.setBackends('svc', backends.map((b) => ({ ...b, weight: 50 })));
  return `http://127.0.0.1:${port}`;
}

async function call(url: string, method = 'GET'): Promise<{ status: number; backend: string | null; code?: string; message?: string }> {
  const res = await fetch(`${url}/`, { method });
  const text = await res.text();
  const error = res.status >= 500 ? (JSON.parse(text) as { code: string; message: string }) : {};
  return { status: res.status, backend: res.headers.get('x-gantry-backend'), ...error };
}

describe('passive health and retries in the router', () => {
  it('retries a GET refused by one backend on the other, but never a POST', async () => {
    const live = await backend();
    const url = await routed([
      { id: 'live', url: live.url },
      { id: 'refusing', url: await refusingUrl() },
    ]);

    // Two POSTs go one to each backend by weight: the refused one is answered 502, not sent elsewhere.
    const posts = [await call(url, 'POST'), await call(url, 'POST')];
    expect(posts.map((p) => p.status).sort()).toEqual([200, 502]);
    expect(posts.find((p) => p.status === 502)?.code).toBe('UPSTREAM_ERROR');
    expect(live.methods).toEqual(['POST']);

    const gets = await Promise.all(Array.from({ length: 10 }, () => call(url)));
    expect(gets.map((g) => `${g.status} ${g.backend}`)).toEqual(Array.from({ length: 10 }, () => '200 live'));
  });

  it('never ejects the last backend serving a route: both refusing gives 502, never 503 NO_BACKEND, and says so once', async () => {
    const log: string[] = [];
    const url = await routed(
      [
        { id: 'a', url: await refusingUrl() },
        { id: 'b', url: await refusingUrl() },
      ],
      log,
    );
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await call(url));
    expect(new Set(answers.map((a) => `${a.status} ${a.code}`))).toEqual(new Set(['502 UPSTREAM_ERROR']));
    // Before one was ejected, each GET was tried on both; the answer names both.
    expect(answers[0]?.message).toMatch(/^backend [ab] did not answer \(a retry after backend [ab] failed\)/);
    expect(log.filter((line) => line.includes('ejected'))).toHaveLength(1);
    expect(log.filter((line) => line.includes('the last one serving the route'))).toHaveLength(1);
  });

  it('ejects a backend that holds requests without answering, retries them on the other, and lets it back once its period is over', async () => {
    const healthy = await backend();
    const hung = await backend();
    hung.hang = true;
    const log: string[] = [];
    const url = await routed(
      [
        { id: 'healthy', url: healthy.url },
        { id: 'hung', url: hung.url },
      ],
      log,
    );
    const answers = await Promise.all(Array.from({ length: 10 }, () => call(url)));
    // Every GET is answered by the healthy backend: those held by the hung one were retried on ejection.
    expect(answers.map((a) => `${a.status} ${a.backend}`)).toEqual(Array.from({ length: 10 }, () => '200 healthy'));
    expect(hung.methods.length).toBeGreaterThan(0);
    // Retried because the hung backend was ejected, once; the only other way out, the router's 60 s
    // upstream timeout (DEFAULT_UPSTREAM_TIMEOUT_MS), is longer than this whole test may take.
    expect(log.filter((line) => line.includes('ejected')).map((line) => (JSON.parse(line) as { backend: string }).backend)).toEqual(['hung']);

    // Recovered: back on trial after the 10 s ejection period, it answers its share again.
    hung.hang = false;
    await until('the recovered backend to answer again', async () => (await call(url)).backend === 'hung', 15_000, 200);
  }, 30_000);
});
