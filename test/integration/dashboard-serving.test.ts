import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultWebRoot } from '../../src/server/dashboard.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { lintOnlyConfig } from '../support/ci-config.js';

const CONFIG = lintOnlyConfig('dashboard-serving');

/** A request sent byte for byte as written: fetch would normalise `..` away before it left. */
function raw(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the dashboard as the server serves it', () => {
  const temp = new TempDirs();
  let t: TestServer;

  beforeAll(async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/index.js': '' });
    t = await startTestServer(root, repo, CONFIG);
  });
  afterAll(async () => {
    await t.server.close();
    await temp.cleanup();
  });

  it('is built (npm run build) and served at / without a token, with a strict content security policy', async () => {
    expect(defaultWebRoot(), 'dist/web/index.html: run npm run build').toBeDefined();
    const page = await raw(t.server.url, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('<div id="root"></div>');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    const asset = await raw(t.server.url, `/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toMatch(/immutable/);
  });

  it.each([
    '/../package.json',
    '/../../package.json',
    '/assets/../../package.json',
    '/assets/../../../package.json',
    '/%2e%2e/%2e%2e/package.json',
    '/%2E%2E%2F%2E%2E%2Fpackage.json',
    '/..%2f..%2fpackage.json',
    '/assets/..%2f..%2fserver%2fapp.js',
    '/..%5c..%5cpackage.json',
    '/%252e%252e/%252e%252e/package.json',
    '/....//....//package.json',
    '/assets/%00../../package.json',
  ])('refuses to leave the dashboard folder: GET %s', async (path) => {
    const res = await raw(t.server.url, path);
    expect(res.status, res.body).not.toBe(200);
    expect(res.status).toBeLessThan(500);
    expect(res.body).not.toContain('"devDependencies"');
    expect(res.body).not.toContain('buildApp');
  });

  it('keeps the API behind its token, however the path is spelled', async () => {
    for (const path of ['/api/v1/runs', '/%61pi/v1/runs', '/api/v1/../v1/runs', '/API/v1/runs', '/api/v1/stream', '/metrics']) {
      const res = await raw(t.server.url, path);
      expect([401, 404], `${path}: ${res.status} ${res.body}`).toContain(res.status);
      expect(res.body).not.toMatch(/"runs"\s*:/);
    }
    const dotfile = await raw(t.server.url, '/.env');
    expect([403, 404]).toContain(dotfile.status);
  });

  it('streams run and step changes to a signed-in client as they happen', async () => {
    const controller = new AbortController();
    const res = await fetch(`${t.server.url}/api/v1/stream`, { headers: { authorization: `Bearer ${t.token}` }, signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const { body } = await t.api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'dev', ref: 'develop' });
    const deadline = Date.now() + 20_000;
    while (!text.includes(`"runId":${body.run.id},"state":"succeeded"`) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    controller.abort();
    expect(text).toContain('event: ready');
    expect(text).toMatch(/event: changes\ndata: \{"changes":\[/);
    expect(text).toContain(`{"type":"step","runId":${body.run.id}`);
    expect(text).toContain(`"runId":${body.run.id},"state":"succeeded"`);
  });
});
