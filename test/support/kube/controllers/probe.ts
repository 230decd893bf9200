import { request } from 'node:http';
import { connect } from 'node:net';

export interface ProbeSpec {
  httpGet?: { path?: string; port?: number | string; scheme?: string; httpHeaders?: Array<{ name: string; value: string }> };
  tcpSocket?: { port?: number | string };
  exec?: { command: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
}

/**
 * One httpGet probe against the pod's own port (whatever port the spec names: every pod here has
 * its own port on 127.0.0.1). Success is a status in [200, 400), as the kubelet judges it;
 * otherwise the kubelet's failure message.
 */
export function probeHttp(spec: ProbeSpec, port: number): Promise<{ ok: true } | { ok: false; message: string }> {
  const path = spec.httpGet?.path ?? '/';
  const timeoutMs = (spec.timeoutSeconds ?? 1) * 1000;
  const url = `http://127.0.0.1:${port}${path}`;
  return new Promise((resolve) => {
    const headers = Object.fromEntries((spec.httpGet?.httpHeaders ?? []).map((h) => [h.name, h.value]));
    const req = request(url, { method: 'GET', headers: { 'user-agent': 'kube-probe/1.31', ...headers }, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${status}` });
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'ECONNREFUSED' ? `dial tcp 127.0.0.1:${port}: connect: connection refused` : error.message;
      resolve({ ok: false, message: `Get "${url}": ${reason}` });
    });
    req.end();
  });
}

/** One tcpSocket probe: the pod's own port accepts a connection within timeoutSeconds. */
export function probeTcp(spec: ProbeSpec, port: number): Promise<{ ok: true } | { ok: false; message: string }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', timeout: (spec.timeoutSeconds ?? 1) * 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, message: `dial tcp 127.0.0.1:${port}: i/o timeout` });
    });
    socket.once('error', () => resolve({ ok: false, message: `dial tcp 127.0.0.1:${port}: connect: connection refused` }));
  });
}
