import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, RegistryError } from '../../src/artifacts/registry/index.js';

/**
 * A stand-in for a registry that uses the Bearer token flow (Docker Hub, GHCR, Harbor): the test
 * registry (docker-registry with htpasswd) only does Basic. It answers as the Distribution token
 * spec says: 401 with `WWW-Authenticate: Bearer realm,service,scope`, a token service that takes
 * Basic credentials and answers {"token"}, and the blob HEAD once the token is presented.
 */
const seen: Array<{ path: string; authorization: string | undefined }> = [];
let server: Server;
let base: string;
const TOKEN = 'tok-123';

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    seen.push({ path: `${url.pathname}${url.search}`, authorization: req.headers.authorization });
    if (url.pathname === '/token') {
      const ok = req.headers.authorization === `Basic ${Buffer.from('ci:right').toString('base64')}` && url.searchParams.get('service') === 'stand-in' && url.searchParams.get('scope') === 'repository:team/api:pull';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(ok ? JSON.stringify({ token: TOKEN }) : JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    if (url.pathname === '/storage/abc') {
      res.writeHead(200, { 'content-length': '3' });
      res.end('abc');
      return;
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="stand-in",scope="repository:team/api:pull"`, 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    if (req.method === 'GET') {
      // Registries on object storage redirect blob pulls; 'localhost' is another origin than 127.0.0.1.
      res.writeHead(307, { location: `http://localhost:${(server.address() as AddressInfo).port}/storage/abc` });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-length': '3' });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('the Bearer token flow', () => {
  it('answers the challenge with a token from the realm, then reuses it for the repository', async () => {
    seen.length = 0;
    const client = new RegistryClient({ url: base, credentials: { username: 'ci', password: 'right' } });
    expect(await client.hasBlob('team/api', `sha256:${'b'.repeat(64)}`)).toBe(true);
    expect(await client.hasBlob('team/api', `sha256:${'c'.repeat(64)}`)).toBe(true);
    expect(seen.map((s) => s.path.split('?')[0])).toEqual([`/v2/team/api/blobs/sha256:${'b'.repeat(64)}`, '/token', `/v2/team/api/blobs/sha256:${'b'.repeat(64)}`, `/v2/team/api/blobs/sha256:${'c'.repeat(64)}`]);
    expect(seen[3]?.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('reports a token service that refuses the credentials as REGISTRY_UNAUTHORIZED, without the password', async () => {
    const client = new RegistryClient({ url: base, credentials: { username: 'ci', password: 'wrong-pass' } });
    const error = await client.hasBlob('team/api', `sha256:${'b'.repeat(64)}`).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe('REGISTRY_UNAUTHORIZED');
    expect((error as RegistryError).message).toContain('user ci');
    expect((error as RegistryError).message).toContain('bad credentials');
    expect((error as RegistryError).explain()).not.toContain('wrong-pass');
  });

  it('follows a blob redirect to another origin without sending the token there', async () => {
    seen.length = 0;
    const client = new RegistryClient({ url: base, credentials: { username: 'ci', password: 'right' } });
    const abc = `sha256:${createHash('sha256').update('abc').digest('hex')}`;
    expect((await client.pullBlob('team/api', abc)).toString()).toBe('abc');
    const storage = seen.filter((s) => s.path === '/storage/abc');
    expect(storage).toHaveLength(1);
    expect(storage[0]?.authorization).toBeUndefined();
  });
});
