import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import autocannon from 'autocannon';
import { request, WebSocket } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { TargetError } from '../../src/errors/index.js';
import { Router, type Backend } from '../../src/agent/router/index.js';
import { until } from '../support/temp.js';

/** A deferred the test resolves by hand: how a backend holds a response without sleeping. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * A real backend on a loopback port. It names itself in every answer and understands a few paths:
 * `/hold` answers when the test opens `release`, `/status/N` answers N, `/delay/MS` answers after
 * MS, `/echo` streams the request body back, `/stream` sends one chunk, waits for `release`, sends
 * another; `/headers` returns the request headers as JSON. Upgrades get a WebSocket echo.
 */
class TestBackend {
  served = 0;
  holding = 0;
  abortedHolds = 0;
  release = gate();
  readonly server: Server;
  port = 0;

  constructor(readonly name: string) {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket) => this.websocket(req, socket));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  backend(weight = 100, id = this.name): Backend {
    return { id, url: this.url, weight };
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    this.release.open();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.served++;
    const url = req.url ?? '/';
    const reply = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain', 'x-served-by': this.name });
      res.end(body);
    };
    if (url === '/hold') {
      this.holding++;
      res.on('close', () => {
        if (!res.writableFinished) this.abortedHolds++;
      });
      void this.release.promise.then(() => {
        this.holding--;
        reply(200, `${this.name} held`);
      });
    } else if (url.startsWith('/status/')) {
      reply(Number(url.slice('/status/'.length)), this.name);
    } else if (url.startsWith('/delay/')) {
      setTimeout(() => reply(200, this.name), Number(url.slice('/delay/'.length)));
    } else if (url === '/echo') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      req.pipe(res);
    } else if (url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first;');
      void this.release.promise.then(() => res.end('second'));
    } else if (url === '/headers') {
      reply(200, JSON.stringify(req.headers));
    } else {
      reply(200, this.name);
    }
  }

  /** Just enough of RFC 6455 for short text frames: answers each message with `<name>:<message>`. */
  private websocket(req: IncomingMessage, socket: Socket): void {
    const accept = createHash('sha1').update(`${String(req.headers['sec-websocket-key'])}${WS_GUID}`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 6) {
        const opcode = pending[0]! & 0x0f;
        const length = pending[1]! & 0x7f; // short frames only (< 126 bytes), as the tests send
        if (pending.length < 6 + length) return;
        const mask = pending.subarray(2, 6);
        const payload = Buffer.from(pending.subarray(6, 6 + length).map((byte, i) => byte ^ mask[i % 4]!));
        pending = pending.subarray(6 + length);
        if (opcode === 0x8) {
          socket.end(Buffer.from([0x88, 0x00]));
          return;
        }
        const answer = Buffer.from(`${this.name}:${payload.toString()}`);
        socket.write(Buffer.concat([Buffer.from([0x81, answer.length]), answer]));
      }
    });
    socket.on('error', () => socket.destroy());
  }
}

describe('the router', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function backend(name: string): Promise<TestBackend> {
    const b = await new TestBackend(name).start();
    cleanups.push(() => b.close());
    return b;
  }

  async function router(options: ConstructorParameters<typeof Router>[0] = {}): Promise<{ router: Router; port: number; url: string }> {
    const r = new Router(options);
    cleanups.push(() => r.close());
    const port = await r.listen('svc', 0);
    return { router: r, port, url: `http://127.0.0.1:${port}` };
  }

  /** `fresh`: a new connection, for a port whose previous listener is gone. */
  async function get(url: string, fresh = false): Promise<{ status: number; backend: string | undefined; body: string }> {
    const res = await request(url, { reset: fresh });
    const header = res.headers['x-gantry-backend'];
    return { status: res.statusCode, backend: typeof header === 'string' ? header : undefined, body: await res.body.text() };
  }

  it('spreads requests by weight: 80/20 over 200 requests', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const { router: r, url } = await router();
    r.setBackends('svc', [a.backend(80), b.backend(20)]);
    const served = { a: 0, b: 0 };
    for (let i = 0; i < 200; i++) {
      const { backend: id, body } = await get(`${url}/`);
      expect(body).toBe(id);
      served[id as 'a' | 'b']++;
    }
    expect(served.a).toBeGreaterThanOrEqual(150);
    expect(served.a).toBeLessThanOrEqual(170);
    expect(served.a + served.b).toBe(200);
  });

  it('finishes a request in flight on A after switching to B, and sends the next request to B', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const { router: r, url } = await router();
    r.setBackends('svc', [a.backend()]);
    const slow = get(`${url}/hold`);
    await until('A to hold the slow request', () => a.holding === 1);

    r.setBackends('svc', [b.backend()]);
    expect(await get(`${url}/`)).toMatchObject({ status: 200, backend: 'b', body: 'b' });
    expect(r.backends('svc')).toEqual([b.backend()]);

    a.release.open();
    expect(await slow).toMatchObject({ status: 200, backend: 'a', body: 'a held' });
  });

  it('loses no request over 20 switches between two backends under load', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const { router: r, url } = await router();
    r.setBackends('svc', [a.backend()]);
    let result: autocannon.Result | undefined;
    let failure: unknown;
    // Bounded: 10 connections, at most 30 s; stopped as soon as the switches are done.
    const instance = autocannon({ url: `${url}/`, connections: 10, duration: 30 }, (error: unknown, r2: autocannon.Result) => {
      failure = error;
      result = r2;
    });
    try {
      for (let i = 1; i <= 20; i++) {
        const to = i % 2 === 1 ? b : a;
        const before = to.served;
        r.setBackends('svc', [to.backend()]);
        // Pace by traffic, not time: each switch must be seen by the load before the next one.
        await until(`switch ${i} to reach ${to.name}`, () => to.served >= before + 200, 10_000, 5);
      }
    } finally {
      instance.stop();
    }
    const done = await until('the load generator to report', () => result ?? failure, 10_000);
    expect(failure).toBeFalsy();
    const report = done as autocannon.Result;
    expect(report.requests.total).toBeGreaterThan(1000);
    expect(report.errors).toBe(0);
    expect(report.timeouts).toBe(0);
    expect(report.non2xx).toBe(0);
    expect(a.served).toBeGreaterThan(0);
    expect(b.served).toBeGreaterThan(0);
  });

  it('counts requests, status classes and a cumulative latency histogram per backend, across weight changes', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const { router: r, url } = await router();
    r.setBackends('svc', [a.backend(100), b.backend(0)]);
    for (const path of ['/', '/', '/status/302', '/status/404', '/status/404', '/status/503', '/delay/60']) await get(`${url}${path}`);
    // Same id with a new weight: counters carry on.
    r.setBackends('svc', [a.backend(50), b.backend(50)]);
    await get(`${url}/`);
    await get(`${url}/`);

    const traffic = Object.fromEntries(r.traffic('svc').map((t) => [t.id, t]));
    expect(traffic.a).toMatchObject({ requests: 8, status: { '2xx': 4, '3xx': 1, '4xx': 2, '5xx': 1 }, errors: 0 });
    expect(traffic.b).toMatchObject({ requests: 1, status: { '2xx': 1, '3xx': 0, '4xx': 0, '5xx': 0 }, errors: 0 });
    const buckets = traffic.a!.latencyBuckets;
    expect(Object.keys(buckets)).toEqual(['5', '10', '25', '50', '100', '250', '500', '1000', '2500', '5000', '10000', '+Inf']);
    const counts = Object.values(buckets);
    expect(counts).toEqual([...counts].sort((x, y) => x - y)); // cumulative
    expect(buckets['+Inf']).toBe(8);
    expect(buckets['50']).toBeLessThanOrEqual(7); // the 60 ms answer is above 50 ms

    // A backend that leaves and comes back starts from zero.
    r.setBackends('svc', [a.backend()]);
    r.setBackends('svc', [a.backend(), b.backend()]);
    expect(r.traffic('svc').find((t) => t.id === 'b')?.requests).toBe(0);
  });

  it('answers 503 NO_BACKEND when no backend has a weight above zero', async () => {
    const a = await backend('a');
    const { router: r, url } = await router();
    const none = await get(`${url}/`);
    expect(none.status).toBe(503);
    expect(JSON.parse(none.body)).toMatchObject({ code: 'NO_BACKEND', message: expect.any(String) });

    r.setBackends('svc', [a.backend(0)]);
    expect((await get(`${url}/`)).status).toBe(503);
    expect(a.served).toBe(0);
  });

  it('answers 502 UPSTREAM_ERROR and counts an error when the backend is down', async () => {
    const probe = createNetServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const { router: r, url } = await router();
    r.setBackends('svc', [{ id: 'dead', url: `http://127.0.0.1:${deadPort}`, weight: 100 }]);
    const res = await get(`${url}/`);
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'UPSTREAM_ERROR', message: expect.any(String) });
    expect(r.traffic('svc')).toEqual([expect.objectContaining({ id: 'dead', requests: 1, errors: 1, status: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 } })]);
  });

  it('cuts requests still running on a removed backend once the drain timeout passes', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const { router: r, url } = await router({ drainTimeoutMs: 200 });
    r.setBackends('svc', [a.backend()]);
    const slow = get(`${url}/hold`);
    await until('A to hold the slow request', () => a.holding === 1);
    r.setBackends('svc', [b.backend()]);
    const res = await slow;
    expect(res.status).toBe(502);
    await until('A to see its request aborted', () => a.abortedHolds === 1);
  });

  it('passes a WebSocket through to the picked backend and echoes both ways', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const { router: r, port } = await router();
    r.setBackends('svc', [a.backend(0), b.backend(100)]);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket`);
    const messages: string[] = [];
    ws.addEventListener('message', (event) => messages.push(String(event.data)));
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('error', () => reject(new Error('websocket failed to open')));
    });
    ws.send('hello');
    ws.send('again');
    await until('both echoes', () => messages.length === 2);
    expect(messages).toEqual(['b:hello', 'b:again']);
    const closed = new Promise<void>((resolve) => ws.addEventListener('close', () => resolve()));
    ws.close();
    await closed;
    expect(r.traffic('svc').find((t) => t.id === 'b')).toMatchObject({ requests: 1, status: { '2xx': 1 }, errors: 0 });
  });

  it('streams a request body to the backend and the response back without buffering either', async () => {
    const a = await backend('a');
    const { router: r, url } = await router();
    r.setBackends('svc', [a.backend()]);

    // 4 MiB in 64 KiB chunks, chunked on the way in.
    const chunk = Buffer.alloc(64 * 1024, 7);
    const sent = createHash('sha256');
    let left = 64;
    const body = new Readable({
      read() {
        if (left-- === 0) return void this.push(null);
        sent.update(chunk);
        this.push(chunk);
      },
    });
    const res = await request(`${url}/echo`, { method: 'POST', body });
    const received = createHash('sha256');
    let bytes = 0;
    for await (const part of res.body) {
      received.update(part as Buffer);
      bytes += (part as Buffer).length;
    }
    expect(res.statusCode).toBe(200);
    expect(bytes).toBe(64 * chunk.length);
    expect(received.digest('hex')).toBe(sent.digest('hex'));

    // The first part of a response reaches the client while the backend is still writing it.
    const streamed = await request(`${url}/stream`);
    const reader = streamed.body[Symbol.asyncIterator]();
    expect(String((await reader.next()).value)).toBe('first;');
    a.release.open();
    let rest = '';
    for (let next = await reader.next(); !next.done; next = await reader.next()) rest += String(next.value);
    expect(rest).toBe('second');
  });

  it('sets X-Forwarded-For, -Proto and -Host, and drops hop-by-hop headers', async () => {
    const a = await backend('a');
    const { router: r, url, port } = await router();
    r.setBackends('svc', [a.backend()]);
    const res = await request(`${url}/headers`, { headers: { 'x-forwarded-for': '203.0.113.9', 'x-custom': 'kept', 'proxy-authorization': 'secret', te: 'trailers' } });
    const seen = (await res.body.json()) as Record<string, string>;
    expect(seen['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${port}`);
    expect(seen.host).toBe(`127.0.0.1:${port}`);
    expect(seen['x-custom']).toBe('kept');
    expect(seen['proxy-authorization']).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(res.headers['x-gantry-backend']).toBe('a');

    // Names listed in Connection are hop-by-hop too, except the ones the router vouches for.
    const listed = await new Promise<Record<string, string>>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/headers', headers: { connection: 'keep-alive, x-drop-me, x-forwarded-for', 'x-drop-me': '1' } }, (answer) => {
        let text = '';
        answer.on('data', (data: Buffer) => (text += data.toString()));
        answer.on('end', () => resolve(JSON.parse(text) as Record<string, string>));
      });
      req.on('error', reject);
      req.end();
    });
    expect(listed['x-drop-me']).toBeUndefined();
    expect(listed['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('survives clients that disconnect mid-request and mid-response, and frees the backend request', async () => {
    const a = await backend('a');
    const { router: r, port, url } = await router();
    r.setBackends('svc', [a.backend()]);

    // Half a request body, then gone.
    const partial = connect(port, '127.0.0.1');
    await once(partial, 'connect');
    partial.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000));
    await until('the backend to get the partial request', () => a.served === 1);
    partial.destroy();

    // Waiting for an answer, then gone.
    const waiting = httpRequest({ host: '127.0.0.1', port, path: '/hold' });
    waiting.on('error', () => undefined);
    waiting.end();
    await until('A to hold the request', () => a.holding === 1);
    waiting.destroy();
    await until('the backend request to be aborted too', () => a.abortedHolds === 1);

    // Garbage instead of HTTP.
    const garbage = connect(port, '127.0.0.1');
    garbage.on('error', () => undefined);
    let answer = '';
    garbage.on('data', (data: Buffer) => (answer += data.toString()));
    garbage.end('NOT HTTP AT ALL\r\n\r\n');
    await once(garbage, 'close');
    expect(answer).toMatch(/^HTTP\/1\.1 400/);

    expect(await get(`${url}/`)).toMatchObject({ status: 200, backend: 'a' });
    expect(r.traffic('svc')[0]).toMatchObject({ errors: 0 });
  });

  it('refuses invalid backends with BAD_REQUEST and leaves the route as it was', async () => {
    const a = await backend('a');
    const { router: r } = await router();
    r.setBackends('svc', [a.backend()]);
    const bad: Backend[][] = [
      [{ id: 'x', url: 'http://127.0.0.1:1', weight: 101 }],
      [{ id: 'x', url: 'ftp://127.0.0.1:1', weight: 1 }],
      [{ id: 'x', url: 'http://127.0.0.1:1/path', weight: 1 }],
      [a.backend(), a.backend()],
      [{ id: '', url: a.url, weight: 1 }],
    ];
    for (const backends of bad) {
      let thrown: unknown;
      try {
        r.setBackends('svc', backends);
      } catch (error: unknown) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TargetError);
      expect((thrown as TargetError).code).toBe('BAD_REQUEST');
    }
    expect(r.backends('svc')).toEqual([a.backend()]);
  });

  it('refuses to listen on a port already in use with CONFLICT', async () => {
    const { port } = await router();
    const other = new Router();
    cleanups.push(() => other.close());
    const refused = await other.listen('svc', port).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(TargetError);
    expect((refused as TargetError).code).toBe('CONFLICT');
  });

  it('frees the port on close, so a new listener can take it', async () => {
    const a = await backend('a');
    const first = new Router();
    const port = await first.listen('svc', 0);
    first.setBackends('svc', [a.backend()]);
    expect((await get(`http://127.0.0.1:${port}/`)).status).toBe(200);
    await first.close();
    expect(first.backends('svc')).toEqual([]);

    const second = new Router();
    cleanups.push(() => second.close());
    expect(await second.listen('svc', port)).toBe(port);
    second.setBackends('svc', [a.backend()]);
    expect((await get(`http://127.0.0.1:${port}/`, true)).backend).toBe('a');
  });
});
