import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RunSchema } from '../../src/server/openapi/schemas.js';
import type { RunView } from '../../src/server/views.js';
import { lintOnlyConfig } from '../support/ci-config.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const RUNS = 5;

interface AuditPage {
  events: Array<{ id: number; kind: string }>;
  nextCursor: string | null;
}

describe('cursors on list routes', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let runIds: number[] = [];

  /** Over the server's real socket, as a client would call it. */
  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${t.server.url}${path}`, { headers: { authorization: `Bearer ${t.token}` } });
    return { status: res.status, body: (await res.json()) as T };
  };

  /** Follows nextCursor from `first` to the last page; each page is checked by `check`. */
  const pages = async <T extends { nextCursor: string | null }>(first: string): Promise<T[]> => {
    const seen: T[] = [];
    let path: string | null = first;
    while (path !== null && seen.length < 20) {
      const res: { status: number; body: T } = await get<T>(path);
      expect(res.status, path).toBe(200);
      seen.push(res.body);
      path = res.body.nextCursor === null ? null : `${first}&cursor=${encodeURIComponent(res.body.nextCursor)}`;
    }
    return seen;
  };

  beforeAll(async () => {
    const root = await temp.make();
    const config = lintOnlyConfig('cursor-test');
    t = await startTestServer(root, await fixtureRepo(root, { 'gantry.yaml': config, 'api/x.js': 'export {};\n' }), config);
    for (let i = 0; i < RUNS; i += 1) {
      const { status, body } = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'dev' });
      expect(status).toBe(201);
      runIds.push(body.run.id);
    }
    for (const id of runIds) await t.finished(id);
    runIds = runIds.sort((a, b) => b - a);
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  it('pages through runs newest first: no duplicates, no gaps, the last page without a cursor', async () => {
    const seen = await pages<{ runs: RunView[]; nextCursor: string | null }>('/api/v1/runs?limit=2');
    expect(seen.map((p) => p.runs.length)).toEqual([2, 2, 1]);
    expect(seen.flatMap((p) => p.runs.map((r) => r.id))).toEqual(runIds);
    expect(seen.at(-1)?.nextCursor).toBeNull();
    expect(seen[0]?.nextCursor).toEqual(expect.any(String));
    // The answer is what the OpenAPI document says it is: no field more, none less.
    const runs = seen.flatMap((p) => p.runs);
    expect(z.array(RunSchema).parse(runs)).toEqual(runs);
  });

  it('keeps filters, limit and before working beside the cursor', async () => {
    const filtered = await pages<{ runs: RunView[]; nextCursor: string | null }>('/api/v1/runs?environment=dev&state=succeeded&limit=3');
    expect(filtered.flatMap((p) => p.runs.map((r) => r.id))).toEqual(runIds);
    const before = await get<{ runs: RunView[]; nextCursor: string | null }>(`/api/v1/runs?before=${runIds[1]}`);
    expect(before.body.runs.map((r) => r.id)).toEqual(runIds.slice(2));
    expect(before.body.nextCursor).toBeNull();
    const all = await get<{ runs: RunView[]; nextCursor: string | null }>('/api/v1/runs');
    expect(all.body.runs.map((r) => r.id)).toEqual(runIds);
  });

  it('pages back through the audit log from the newest events, each page oldest first', async () => {
    const everything = (await get<AuditPage>('/api/v1/audit?limit=5000')).body.events.map((e) => e.id);
    expect(everything.length).toBeGreaterThanOrEqual(RUNS);
    const limit = Math.ceil(everything.length / 3);
    const seen = await pages<AuditPage>(`/api/v1/audit?limit=${limit}`);
    expect(seen).toHaveLength(3);
    expect(seen.at(-1)?.nextCursor).toBeNull();
    for (const p of seen) expect(p.events.map((e) => e.id)).toEqual([...p.events.map((e) => e.id)].sort((a, b) => a - b));
    // Newest page first: put back in order, the pages are the whole log, each event once.
    expect(seen.toReversed().flatMap((p) => p.events.map((e) => e.id))).toEqual(everything);
  });

  it('pages forward through the audit log from a time with since', async () => {
    const everything = (await get<AuditPage>('/api/v1/audit?since=2000-01-01T00:00:00Z&limit=5000')).body.events.map((e) => e.id);
    const limit = Math.ceil(everything.length / 3);
    const seen = await pages<AuditPage>(`/api/v1/audit?since=2000-01-01T00:00:00Z&limit=${limit}`);
    expect(seen).toHaveLength(3);
    expect(seen.flatMap((p) => p.events.map((e) => e.id))).toEqual(everything);
    expect(seen.at(-1)?.nextCursor).toBeNull();
  });

  it('refuses a cursor it did not make, or one of another list, with 400 BAD_REQUEST and a hint', async () => {
    const auditCursor = (await get<AuditPage>('/api/v1/audit?limit=1')).body.nextCursor;
    const runsCursor = (await get<{ nextCursor: string | null }>('/api/v1/runs?limit=1')).body.nextCursor;
    expect(auditCursor).toEqual(expect.any(String));
    for (const path of ['/api/v1/runs?cursor=not-a-cursor', `/api/v1/runs?cursor=${encodeURIComponent(auditCursor ?? '')}`, `/api/v1/audit?cursor=${encodeURIComponent(runsCursor ?? '')}`, '/api/v1/environments/dev/history?cursor=%3D%3D']) {
      const res = await get<{ code: string; message: string; hint: string }>(path);
      expect(res.status, path).toBe(400);
      expect(res.body).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('cursor'), hint: expect.stringContaining('nextCursor') });
    }
    // A page's cursor and `before` name the same thing twice: one or the other.
    const both = await get<{ code: string }>(`/api/v1/runs?before=3&cursor=${encodeURIComponent(runsCursor ?? '')}`);
    expect(both).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
  });

  it('answers the environment history with a cursor too', async () => {
    const res = await get<{ deployments: Array<{ id: number }>; nextCursor: string | null }>('/api/v1/environments/dev/history?limit=500');
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    if (res.body.deployments.length < 2) return;
    const seen = await pages<{ deployments: Array<{ id: number }>; nextCursor: string | null }>('/api/v1/environments/dev/history?limit=1');
    expect(seen.flatMap((p) => p.deployments.map((d) => d.id))).toEqual(res.body.deployments.map((d) => d.id));
  });
});
