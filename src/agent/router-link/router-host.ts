import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { isGantryError } from '../../errors/index.js';
import type { Router } from '../router/router.js';
import { isRouterRequest, type RouterCall, type RouterReply, type RouterRequest, type WireError } from './messages.js';

const wire = (error: unknown): WireError =>
  isGantryError(error) ? { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } : { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };

/**
 * The parent's side of the link: answers one worker's router calls on the router the parent owns.
 * The routes and their backends stay when the worker goes: users' traffic never depends on it.
 */
export class RouterHost {
  /** Route → the port it listens on, so a restarted worker's listen finds it already done. */
  private readonly listening = new Map<string, number>();
  /** Route → the listen in progress. */
  private readonly opening = new Map<string, Promise<number>>();

  constructor(
    private readonly router: Router,
    private readonly logger: Logger,
    /** The address routes listen on: loopback for a local agent, the host's address for a remote one (`--route-host`). */
    private readonly routeHost?: string,
  ) {}

  /** Serves `worker`'s calls until it exits. */
  attach(worker: ChildProcess): void {
    worker.on('message', (message: unknown) => {
      if (!isRouterRequest(message)) return;
      void this.answer(message).then((reply) => {
        if (worker.connected) worker.send(reply, (error) => error && this.logger.warn({ err: error }, 'a router reply did not reach the worker'));
      });
    });
  }

  private async answer(request: RouterRequest): Promise<RouterReply> {
    try {
      return { kind: 'router-reply', id: request.id, ok: true, result: await this.apply(request.call) };
    } catch (error: unknown) {
      return { kind: 'router-reply', id: request.id, ok: false, error: wire(error) };
    }
  }

  private async apply(call: RouterCall): Promise<RouterReply['result']> {
    switch (call.op) {
      case 'listen': {
        // Calls answered concurrently (two PUT /v1/routes at once): one opens the listener, the others wait for it.
        await this.opening.get(call.routeId)?.catch(() => undefined);
        const known = this.listening.get(call.routeId);
        if (known !== undefined && (call.port === 0 || known === call.port)) return known;
        const opening = this.router.listen(call.routeId, call.port, ...(this.routeHost === undefined ? [] : [this.routeHost]));
        this.opening.set(call.routeId, opening);
        try {
          const port = await opening;
          this.listening.set(call.routeId, port);
          return port;
        } finally {
          this.opening.delete(call.routeId);
        }
      }
      case 'limit':
        this.router.limit(call.routeId, call.maxConnections ?? undefined);
        return null;
      case 'setBackends':
        this.router.setBackends(call.routeId, call.backends);
        return null;
      case 'traffic':
        return this.router.traffic(call.routeId);
      case 'flush':
        return null;
    }
  }
}
