import { readFile } from 'node:fs/promises';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance } from 'fastify';
import type { RunView } from '../../src/server/views.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_ROUTES } from '../../src/server/dashboard.js';
import { apiRoutes } from '../../src/server/openapi/catalog.js';
import { OPENAPI_FILE, openApiPath, renderOpenApiDocument } from '../../src/server/openapi/document.js';
import { ErrorBodySchema } from '../../src/server/openapi/schemas.js';
import { lintOnlyConfig } from '../support/ci-config.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const committedUrl = new URL(`../../${OPENAPI_FILE}`, import.meta.url);

interface Operation {
  operationId: string;
  security?: unknown[];
  responses: Record<string, { $ref?: string; content?: Record<string, unknown> }>;
  parameters?: Array<{ name: string; in: string }>;
}
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

/** Every METHOD url Fastify registered, read from its route tree (HEAD is Fastify's own twin of GET). */
function registeredRoutes(app: FastifyInstance): Set<string> {
  const found = new Set<string>();
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    stack.length = (m[1] ?? '').length / 4;
    stack.push(m[2] ?? '');
    // The tree leaves out the root's slash before a top-level wildcard (`*` is `/*`).
    const url = stack.join('').replace(/^(?!\/)/, '/');
    for (const method of m[3]?.split(', ') ?? []) if (method !== 'HEAD') found.add(`${method} ${url}`);
  }
  return found;
}

describe('the OpenAPI document', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let runId = 0;

  beforeAll(async () => {
    const root = await temp.make();
    const config = lintOnlyConfig('openapi-test');
    t = await startTestServer(root, await fixtureRepo(root, { 'gantry.yaml': config, 'api/x.js': 'export {};\n' }), config);
    runId = (await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'dev' })).body.run.id;
    await t.finished(runId);
  });
  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  it('is committed as generated from the route catalog', async () => {
    const committed = await readFile(committedUrl, 'utf8').catch(() => '');
    if (committed !== renderOpenApiDocument()) throw new Error(`${OPENAPI_FILE} is out of date with the routes: run \`npm run openapi\` and commit the result.`);
    expect(committed).toBe(renderOpenApiDocument());
  });

  it('describes every route the server registers, and no route it does not', () => {
    const registered = registeredRoutes(t.server.app);
    const dashboard = [...DASHBOARD_ROUTES].map((url) => `GET ${url}`);
    const catalogued = apiRoutes().map((r) => `${r.method} ${r.url}`);
    expect(registered.size).toBeGreaterThan(40);
    expect(new Set(catalogued).size, 'a route is in the catalog twice').toBe(catalogued.length);
    expect([...registered].filter((r) => !dashboard.includes(r)).sort()).toEqual([...catalogued].sort());
    // …and the document lists each of them under its OpenAPI path.
    const doc = JSON.parse(renderOpenApiDocument()) as OpenApi;
    for (const route of apiRoutes()) expect(doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()]?.operationId, route.url).toBe(route.operationId);
  });

  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const verdict = await validator.validate(JSON.parse(renderOpenApiDocument()) as Record<string, unknown>);
    expect(verdict.errors ?? []).toEqual([]);
    expect(verdict.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // The validator does refuse a broken document (a path parameter that is not required).
    const broken = JSON.parse(renderOpenApiDocument()) as OpenApi & { paths: Record<string, Record<string, { parameters: Array<{ required: boolean }> }>> };
    const param = broken.paths['/api/v1/runs/{id}']?.get?.parameters[0];
    if (param) param.required = false;
    expect((await new Validator().validate(broken as unknown as Record<string, unknown>)).valid).toBe(false);
  });

  it('gives every operation the error body, names each path parameter, and asks a token of all but the public routes', () => {
    const doc = JSON.parse(renderOpenApiDocument()) as OpenApi;
    expect(doc.openapi).toBe('3.1.0');
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const op of Object.values(item)) {
        expect(op.responses['4XX']?.$ref, `${path} ${op.operationId}`).toBe('#/components/responses/Error');
        const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        expect(op.parameters?.filter((p) => p.in === 'path').map((p) => p.name) ?? [], path).toEqual(names);
      }
    }
    const publicOps = Object.values(doc.paths).flatMap((item) => Object.values(item)).filter((op) => op.security?.length === 0).map((op) => op.operationId);
    expect(publicOps.sort()).toEqual(['githubWebhook', 'health', 'openApi']);
    expect(Object.keys(doc.paths['/api/v1/runs/{id}/events']?.get?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['ErrorBody', 'Run', 'Step', 'RunEnvelope']));
  });

  it('answers each documented read with exactly the shape its response schema says', async () => {
    const values: Record<string, string> = { id: String(runId), env: 'dev' };
    const checked: string[] = [];
    for (const route of apiRoutes()) {
      if (route.method !== 'GET' || !route.response || route.url.includes('/backups/')) continue;
      const url = route.url.replace(/:([a-z]+)/g, (_, name: string) => values[name] ?? name);
      const res = await t.server.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.token}` } });
      expect(res.statusCode, url).toBe(route.status ?? 200);
      const body: unknown = res.json();
      // zod drops the fields a schema does not name: equal after parsing means no field more, none less.
      expect(route.response.parse(body), url).toEqual(body);
      checked.push(route.operationId);
    }
    expect(checked).toEqual(expect.arrayContaining(['listRuns', 'getRun', 'listAuditEvents', 'environmentHistory', 'listTokens', 'listSecrets']));
    const failure = await t.server.app.inject({ method: 'GET', url: '/api/v1/runs/999999', headers: { authorization: `Bearer ${t.token}` } });
    expect(ErrorBodySchema.parse(failure.json())).toEqual(failure.json());
  });

  it('is served at /api/v1/openapi.json without a token, over a real socket', async () => {
    const res = await fetch(`${t.server.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(JSON.parse(renderOpenApiDocument()));
    // A route beside it still asks for a token.
    expect((await fetch(`${t.server.url}/api/v1/version`)).status).toBe(401);
  });
});
