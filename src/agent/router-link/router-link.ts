import { GantryError } from '../../errors/index.js';
import type { Backend, RouteTraffic } from '../router/types.js';
import { isRouterReply, type RouterCall, type RouterReply } from './messages.js';
import type { RouteFaultsStatus, RouterControl } from './router-control.js';
import type { FaultSpec, FaultStatus } from '../router/faults.js';

interface Pending {
  resolve(reply: RouterReply): void;
}

/**
 * The worker's side of the link: the router its parent process runs, driven over the IPC channel.
 * Closing it closes nothing: the parent keeps the routes serving whatever happens to the worker.
 */
export class RouterLink implements RouterControl {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly channel: NodeJS.Process = process) {
    channel.on('message', (message: unknown) => {
      if (!isRouterReply(message)) return;
      this.pending.get(message.id)?.resolve(message);
      this.pending.delete(message.id);
    });
  }

  async listen(routeId: string, port: number): Promise<number> {
    return (await this.call({ op: 'listen', routeId, port })) as number;
  }

  setBackends(routeId: string, backends: readonly Backend[]): void {
    // Fire and forget, in order; flush() waits for it where an answer depends on it.
    void this.call({ op: 'setBackends', routeId, backends }).catch(() => undefined);
  }

  limit(routeId: string, maxConnections: number | undefined): void {
    void this.call({ op: 'limit', routeId, maxConnections: maxConnections ?? null }).catch(() => undefined);
  }

  async traffic(routeId: string): Promise<RouteTraffic[]> {
    return (await this.call({ op: 'traffic', routeId })) as RouteTraffic[];
  }

  async setFaults(routeId: string, faults: FaultSpec, durationMs: number): Promise<FaultStatus> {
    return (await this.call({ op: 'setFaults', routeId, faults, durationMs })) as FaultStatus;
  }

  async clearFaults(routeId: string): Promise<FaultStatus | null> {
    return (await this.call({ op: 'clearFaults', routeId })) as FaultStatus | null;
  }

  async faults(routeId: string): Promise<RouteFaultsStatus> {
    return (await this.call({ op: 'faults', routeId })) as RouteFaultsStatus;
  }

  async flush(): Promise<void> {
    await this.call({ op: 'flush' });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private call(call: RouterCall): Promise<RouterReply['result']> {
    const send = this.channel.send?.bind(this.channel);
    if (!send || !this.channel.connected) return Promise.reject(new GantryError('AGENT_UNREACHABLE', 'the agent worker lost its parent, which runs the routers', { hint: 'The agent restarts; the control plane starts it again.' }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (reply) => (reply.ok ? resolve(reply.result) : reject(new GantryError((reply.error?.code ?? 'INTERNAL') as never, reply.error?.message ?? 'router call failed', reply.error?.hint ? { hint: reply.error.hint } : {}))),
      });
      send({ kind: 'router', id, call }, undefined, {}, (error: Error | null) => {
        if (!error) return;
        this.pending.delete(id);
        reject(error);
      });
    });
  }
}
