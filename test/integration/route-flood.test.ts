import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultConnectionLimit } from '../../src/agent/router/open-file-budget.js';
import { freePorts, revisionOf, serveRevisionOne, serviceArtifact, spawnAgent, type AgentProcess, type Artifact } from '../support/agent-process.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * Issue 18, item 1: one flooded service must not take its neighbours down. A real `gantry agent`
 * with two services' routes and real revision processes; its file limit is set low (1024) so that
 * the flood (1,200 idle connections) is more than it has descriptors for: without a per-route
 * limit it would run out, and the neighbour's new connections would be reset.
 */

const OPEN_FILES = 1024;
const FLOOD = 1_200;
const BATCH = 100;
/** Two main routes (rolling: no preview): the default limit of each route. */
const LIMIT = defaultConnectionLimit(OPEN_FILES, 2);

const temp = new TempDirs();
let artifact: Artifact;
const agents: AgentProcess[] = [];
const flood: Socket[] = [];

beforeAll(async () => {
  artifact = await serviceArtifact(temp);
});
afterEach(async () => {
  for (const socket of flood.splice(0)) socket.destroy();
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});
afterAll(() => temp.cleanup());

function config(port: number, apiRun = ''): string {
  return `version: 1
project:
  name: flood-test
repository:
  url: .
services:
  api:
    path: api
    run:
      command: node server.mjs
      port: ${port}${apiRun}
  web:
    path: web
    run:
      command: node server.mjs
      port: ${port + 1}
environments:
  production:
    branch: main
`;
}

interface FloodConnection {
  state: 'idle' | 'refused' | 'other';
  answer: string;
}

/** An idle client connection: it sends nothing, and hangs up as soon as it is answered. */
function idleConnection(port: number): FloodConnection {
  const seen: FloodConnection = { state: 'idle', answer: '' };
  const socket = connect(port, '127.0.0.1');
  flood.push(socket);
  socket.on('data', (chunk: Buffer) => {
    seen.answer += chunk.toString();
    if (!seen.answer.includes('\r\n\r\n') || !seen.answer.endsWith('}')) return;
    seen.state = /^HTTP\/1\.1 503 /.test(seen.answer) && seen.answer.includes('"code":"ROUTE_BUSY"') ? 'refused' : 'other';
    socket.destroy();
  });
  socket.on('error', () => (seen.state = seen.state === 'idle' ? 'other' : seen.state));
  socket.on('close', () => (seen.state = seen.state === 'idle' ? 'other' : seen.state));
  return seen;
}

/** One GET on a new connection (`agent: false`), as a client that does not keep connections alive. */
function getOnNewConnection(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('a route flooded past its connection limit', () => {
  it('answers 503 ROUTE_BUSY beyond the limit while the other route loses no request and the health probes keep passing', async () => {
    const port = await freePorts(26_000, 990, 2);
    const agent = await spawnAgent(temp, config(port), { ulimit: `-n ${OPEN_FILES}` });
    agents.push(agent);
    await serveRevisionOne(agent, artifact, 'production', ['api', 'web']);
    await until('both routes to serve', async () => (await getOnNewConnection(port)) === 200 && (await getOnNewConnection(port + 1)) === 200);

    // Steady load on web: 8 clients, each request on a new connection, for as long as the flood lasts.
    const steady = { ok: 0, failed: [] as string[] };
    let flooding = true;
    const clients = Array.from({ length: 8 }, async () => {
      while (flooding) {
        try {
          const status = await getOnNewConnection(port + 1);
          if (status === 200) steady.ok++;
          else steady.failed.push(`HTTP ${status}`);
        } catch (error: unknown) {
          steady.failed.push(error instanceof Error ? error.message : String(error));
        }
      }
    });

    // The flood, in batches, each waited for: the first LIMIT connections are held, every later one refused.
    const connections: FloodConnection[] = [];
    for (let sent = 0; sent < FLOOD; sent += BATCH) {
      for (let i = 0; i < BATCH; i++) connections.push(idleConnection(port));
      const expectRefused = Math.max(0, connections.length - LIMIT);
      await until(
        `${expectRefused} of ${connections.length} flood connections to be refused`,
        () => connections.filter((c) => c.state === 'refused').length === expectRefused && connections.every((c) => c.state !== 'other'),
        20_000,
      );
    }
    const okBeforeMore = steady.ok;
    // The neighbour keeps serving with the flood in place; so does the control API (it answered above).
    await until('500 more requests to web during the flood', () => steady.ok >= okBeforeMore + 500, 60_000);

    // A real request to the flooded route gets the clear answer, naming the route and its limit.
    const busy = await fetch(`http://127.0.0.1:${port}/`);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('connection')).toBe('close');
    const body = (await busy.json()) as { code: string; message: string };
    expect(body.code).toBe('ROUTE_BUSY');
    expect(body.message).toContain('production/api/main');
    expect(body.message).toContain(String(LIMIT));
    // The operator hears of it in the agent's log (once per 10 s per route), with where to set the limit.
    expect(agent.output()).toMatch(/"level":40[^\n]*"route":"production\/api\/main"[^\n]*maxConnections[^\n]*route at its connection limit/);

    flooding = false;
    await Promise.all(clients);
    expect(steady.failed).toEqual([]);
    expect(steady.ok).toBeGreaterThan(500);
    expect(connections.filter((c) => c.state === 'idle')).toHaveLength(LIMIT);
    expect(connections.filter((c) => c.state === 'other').map((c) => c.answer)).toEqual([]);
    for (const service of ['api', 'web']) {
      expect(await revisionOf(agent, 'production', service, 1)).toMatchObject({ phase: 'ready', restarts: 0, outOfRotation: 0 });
    }

    // The flood ends: the route serves again.
    for (const socket of flood.splice(0)) socket.destroy();
    await until('api to serve again after the flood', async () => (await getOnNewConnection(port)) === 200, 10_000);
  }, 180_000);

  it('takes the limit set by services.<name>.run.maxConnections, and frees a place when a connection closes', async () => {
    const port = await freePorts(26_000, 990, 2);
    const agent = await spawnAgent(temp, config(port, '\n      maxConnections: 5'));
    agents.push(agent);
    await serveRevisionOne(agent, artifact, 'production', ['api']);
    await until('api to serve', async () => (await getOnNewConnection(port)) === 200);

    const held = Array.from({ length: 5 }, () => idleConnection(port));
    const extra = [idleConnection(port), idleConnection(port)];
    await until('the two connections beyond 5 to be refused', () => extra.every((c) => c.state === 'refused'), 10_000);
    expect(held.map((c) => c.state)).toEqual(['idle', 'idle', 'idle', 'idle', 'idle']);
    expect(extra[0]?.answer).toContain('has 5 open connections');

    flood[0]?.destroy();
    await until('a request to get the freed place', async () => (await getOnNewConnection(port)) === 200, 10_000);
  }, 60_000);
});
