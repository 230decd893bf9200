import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import pino from 'pino';
import { Router } from '../../src/agent/router/router.js';
import { RouterHost } from '../../src/agent/router-link/router-host.js';
import type { RouterReply, RouterRequest } from '../../src/agent/router-link/messages.js';
import { freePorts } from '../support/agent-process.js';

/**
 * Node emits every message of one IPC read in the same tick: three `listen` calls for one route
 * reach the host before any of them has started listening. One listener must open and all three
 * calls must get its port (the CI failure this guards: two answered CONFLICT "already listening").
 */
const router = new Router({ logger: pino({ level: 'silent' }) });
afterAll(() => router.close());

it('opens one listener for listen calls that arrive in one tick, and answers each with its port', async () => {
  const port = await freePorts(38_000, 2_000, 1);
  const replies: RouterReply[] = [];
  const worker = Object.assign(new EventEmitter(), {
    connected: true,
    send: (reply: RouterReply, done: (error: Error | null) => void): boolean => {
      replies.push(reply);
      done(null);
      return true;
    },
  });
  new RouterHost(router, pino({ level: 'silent' })).attach(worker as unknown as ChildProcess);
  for (const id of [1, 2, 3]) worker.emit('message', { kind: 'router', id, call: { op: 'listen', routeId: 'dev/api/main', port } } satisfies RouterRequest);
  const deadline = Date.now() + 5_000;
  while (replies.length < 3 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  expect(replies.sort((a, b) => a.id - b.id)).toEqual([1, 2, 3].map((id) => ({ kind: 'router-reply', id, ok: true, result: port })));
  // The listener is there: an empty route answers 503, not a refused connection.
  expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(503);
});
