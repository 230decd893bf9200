import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { Agent, type Server } from 'node:http';
import { forwardTcp, httpForwarder, looksLikeHttp } from './http-forward.js';
import type { ClusterState, KubeObject } from '../cluster-state.js';
import { serviceBackends, type ServicePort } from './endpoints-controller.js';
import { writeStatus } from './kube-util.js';

interface Listener {
  readonly server: NetServer;
}

const NODE_PORTS = { min: 30000, max: 32767 };

/**
 * The cloud load balancer and kube-proxy's node ports: a LoadBalancer Service gets its own
 * loopback address (127.0.1.N) listening on each service port; NodePort and LoadBalancer Services
 * listen on 127.0.0.1:<nodePort>. Each HTTP request (each connection, for other TCP) goes to the
 * next ready endpoint of the Service as it is at that moment, so a selector flip applies to the next
 * request; none ready: the connection is closed at once.
 */
export class LoadBalancers {
  private readonly listeners = new Map<string, Listener>();
  private readonly addresses = new Map<string, string>();
  private readonly sockets = new Set<Socket>();
  private readonly turns = new Map<string, number>();
  private readonly forwarders = new Map<string, Server>();
  // Kept-alive connections to the pods: a forwarded request costs no new connection.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private nextAddress = 1;
  private readonly claiming = new Set<string>();
  private readonly chosenNodePorts = new Set<number>();
  private readonly busyNodePorts = new Set<number>();
  private stopped = false;

  constructor(private readonly state: ClusterState) {}

  sync(): void {
    const wanted = new Set<string>();
    for (const service of this.state.list('services')) {
      const spec = service['spec'] as { type?: string; ports?: ServicePort[] };
      const id = `${service.metadata.namespace ?? 'default'}/${service.metadata.name}`;
      if (spec.type !== 'LoadBalancer' && spec.type !== 'NodePort') continue;
      const ports = this.allocateNodePorts(service);
      for (const p of ports) if (p.nodePort !== undefined) wanted.add(this.listen(id, '127.0.0.1', p.nodePort));
      if (spec.type !== 'LoadBalancer') continue;
      const ip = this.addresses.get(id);
      if (ip === undefined) {
        if (!this.claiming.has(id)) void this.claimAddress(id, ports.map((p) => p.port));
        continue;
      }
      for (const p of ports) wanted.add(this.listen(id, ip, p.port));
      const status = (service['status'] ?? {}) as Record<string, unknown>;
      writeStatus(this.state, 'services', service.metadata.namespace ?? 'default', service.metadata.name, { ...status, loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] } });
    }
    for (const [key, listener] of this.listeners) {
      if (wanted.has(key)) continue;
      listener.server.close();
      this.listeners.delete(key);
    }
  }

  /**
   * The first 127.0.1.N whose service ports are all free on this machine (other stand-ins in other
   * processes take addresses too): its listeners are kept, and the address goes into the status.
   */
  private async claimAddress(id: string, ports: readonly number[]): Promise<void> {
    this.claiming.add(id);
    try {
      while (this.nextAddress < 255 && !this.stopped) {
        const ip = `127.0.1.${this.nextAddress++}`;
        const servers: Array<[number, NetServer]> = [];
        for (const port of ports) {
          const server = await this.tryListen(id, ip, port);
          if (!server) break;
          servers.push([port, server]);
        }
        if (servers.length === ports.length && !this.stopped) {
          for (const [port, server] of servers) this.listeners.set(`${id}|${ip}:${port}`, { server });
          this.addresses.set(id, ip);
          return;
        }
        for (const [, server] of servers) server.close();
      }
    } finally {
      this.claiming.delete(id);
    }
  }

  private tryListen(id: string, host: string, port: number): Promise<NetServer | undefined> {
    const [namespace = 'default', name = ''] = id.split('/');
    const server = createServer((socket) => this.forward(socket, namespace, name));
    return new Promise((resolve) => {
      server.once('error', () => resolve(undefined));
      server.listen(port, host, () => resolve(server));
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.listeners.values()];
    this.listeners.clear();
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
    await Promise.all(all.map((l) => new Promise((resolve) => l.server.close(resolve))));
  }

  /** The ready endpoint the next connection to this Service goes to (round robin), if any. */
  pick(namespace: string, name: string): { ip: string; port: number } | undefined {
    const service = this.state.get('services', namespace, name);
    if (!service) return undefined;
    const { ready } = serviceBackends(this.state, service);
    if (ready.length === 0) return undefined;
    const id = `${namespace}/${name}`;
    const turn = this.turns.get(id) ?? 0;
    this.turns.set(id, turn + 1);
    return ready[turn % ready.length];
  }

  private listen(id: string, host: string, port: number): string {
    const key = `${id}|${host}:${port}`;
    if (this.listeners.has(key)) return key;
    const [namespace = 'default', name = ''] = id.split('/');
    const server = createServer((socket) => this.forward(socket, namespace, name));
    server.once('error', () => {
      // A node port this allocator chose that another process holds: choose again (next sync). One
      // the user chose stays unserved (a real API server refuses a taken one at create).
      if (host !== '127.0.0.1' || !this.chosenNodePorts.has(port)) return;
      this.listeners.delete(key);
      this.busyNodePorts.add(port);
      this.releaseNodePort(id, port);
    });
    server.listen(port, host);
    this.listeners.set(key, { server });
    return key;
  }

  /**
   * HTTP (sniffed from the first bytes) is forwarded per request, so a kept-alive client follows a
   * selector flip with its next request; anything else per connection, as kube-proxy does.
   */
  private forward(socket: Socket, namespace: string, name: string): void {
    this.track(socket);
    const pick = (): { ip: string; port: number } | undefined => this.pick(namespace, name);
    socket.once('data', (first: Buffer) => {
      if (!looksLikeHttp(first)) {
        forwardTcp(socket, first, pick, (s) => this.track(s));
        return;
      }
      const key = `${namespace}/${name}`;
      let forwarder = this.forwarders.get(key);
      if (!forwarder) {
        forwarder = httpForwarder(() => this.pick(namespace, name), (s) => this.track(s), this.agent);
        this.forwarders.set(key, forwarder);
      }
      // Put the bytes back and hand the socket to the HTTP server, as if it had accepted it.
      socket.pause();
      socket.unshift(first);
      forwarder.emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
    socket.on('error', () => socket.destroy());
  }

  private track(socket: Socket): void {
    if (this.sockets.has(socket)) return;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** What the API server's allocator does for a port without nodePort: a free one in 30000–32767. */
  private allocateNodePorts(service: KubeObject): ServicePort[] {
    const spec = service['spec'] as { ports?: ServicePort[] };
    const ports = spec.ports ?? [];
    if (ports.every((p) => p.nodePort !== undefined)) return ports;
    const used = new Set([...this.busyNodePorts, ...this.state.list('services').flatMap((s) => ((s['spec'] as { ports?: ServicePort[] }).ports ?? []).map((p) => p.nodePort))]);
    const filled = ports.map((p) => {
      if (p.nodePort !== undefined) return p;
      let candidate: number;
      do candidate = NODE_PORTS.min + Math.floor(Math.random() * (NODE_PORTS.max - NODE_PORTS.min + 1));
      while (used.has(candidate));
      used.add(candidate);
      this.chosenNodePorts.add(candidate);
      return { ...p, nodePort: candidate };
    });
    const current = this.state.get('services', service.metadata.namespace, service.metadata.name);
    if (current) this.state.update('services', { ...current, spec: { ...(current['spec'] as object), ports: filled } });
    return filled;
  }

  private releaseNodePort(id: string, port: number): void {
    const [namespace = 'default', name = ''] = id.split('/');
    const current = this.state.get('services', namespace, name);
    if (!current) return;
    const spec = current['spec'] as { ports?: ServicePort[] };
    const ports = (spec.ports ?? []).map(({ nodePort, ...rest }) => (nodePort === port ? rest : { ...rest, nodePort }));
    this.state.update('services', { ...current, spec: { ...spec, ports } });
  }
}
