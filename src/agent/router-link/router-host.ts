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

  /**
   * One listener per route however many calls ask at once. The check is synchronous: calls read from
   * one IPC chunk arrive in the same tick, so an `await` before it would let each of them open.
   */
  private listenOnce(routeId: string, port: number): Promise<number> {
    const known = this.listening.get(routeId);
    if (known !== undefined && (port === 0 || known === port)) return Promise.resolve(known);
    const pending = this.opening.get(routeId);
    if (pending !== undefined) return pending.then(() => undefined, () => undefined).then(() => this.listenOnce(routeId, port));
    const opening = this.router
      .listen(routeId, port, ...(this.routeHost === undefined ? [] : [this.routeHost]))
      .then((bound) => {
        this.listening.set(routeId, bound);
        return bound;
      })
      .finally(() => this.opening.delete(routeId));
    this.opening.set(routeId, opening);
    return opening;
  }

  private async apply(call: RouterCall): Promise<RouterReply['result']> {
    switch (call.op) {
      case 'listen':
        return this.listenOnce(call.routeId, call.port);
      case 'limit':
        this.router.limit(call.routeId, call.maxConnections ?? undefined);
        return null;
      case 'setBackends':
        this.router.setBackends(call.routeId, call.backends);
        return null;
      case 'traffic':
        return this.router.traffic(call.routeId);
      case 'setFaults':
        return this.router.setFaults(call.routeId, call.faults, call.durationMs);
      case 'clearFaults':
        return this.router.clearFaults(call.routeId);
      case 'faults':
        return this.router.faults(call.routeId);
      case 'flush':
        return null;
    }
  }
}
