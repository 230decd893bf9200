// A tiny HTTP client on node:http, for tests and tools/integration.mjs: no dependencies, and the
// same behaviour on every Node version the example supports.
import { Buffer } from 'node:buffer';
import http from 'node:http';

export function request(url, { method = 'GET', body } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    const req = http.request(url, { method, headers, timeout: 5_000 }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', text, json: () => JSON.parse(text) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timed out: ${method} ${url}`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Listens on a free loopback port and returns the base URL; for tests. */
export function listenOnFreePort(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

export function close(server) {
  return new Promise((resolve) => server.close(() => resolve()));
}
