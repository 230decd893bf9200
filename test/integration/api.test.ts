import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunView, StepView } from '../../src/server/views.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { lintOnlyConfig } from '../support/ci-config.js';

const CONFIG = lintOnlyConfig('api-test');

describe('the HTTP API', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let runId: number;

  beforeAll(async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/x.js': 'export {};\n' });
    t = await startTestServer(root, repo, CONFIG);
    const { body } = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'dev' });
    runId = body.run.id;
    await t.finished(runId);
  });
  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  const routes: Array<[string, string]> = [
    ['GET', '/api/v1/version'],
    ['GET', '/api/v1/whoami'],
    ['GET', '/api/v1/runs'],
    ['GET', '/api/v1/runs/1'],
    ['GET', '/api/v1/runs/1/logs'],
    ['GET', '/api/v1/runs/1/events'],
    ['POST', '/api/v1/runs/1/cancel'],
    ['POST', '/api/v1/dispatch'],
    ['GET', '/api/v1/locks'],
    ['POST', '/api/v1/sources/notify'],
  ];

  it.each(routes)('refuses %s %s without a token (401 AUTH_REQUIRED) and with a wrong one (401 AUTH_INVALID)', async (method, url) => {
    const none = await t.server.app.inject({ method: method as 'GET', url });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ code: 'AUTH_REQUIRED', hint: expect.any(String) });
    const wrong = await t.server.app.inject({ method: method as 'GET', url, headers: { authorization: 'Bearer gty_nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'AUTH_INVALID' });
  });

  it('answers /healthz without a token', async () => {
    const res = await t.server.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('writes the bootstrap admin token to admin.token with mode 0600', async () => {
    const info = await stat(join(t.dataDir, 'admin.token'));
    expect(info.mode & 0o777).toBe(0o600);
    expect(t.token).toMatch(/^gty_/);
    const who = await t.api<{ user: string; roles: string[] }>('GET', '/api/v1/whoami');
    expect(who.body).toEqual({ user: 'admin', email: null, roles: ['admin'] });
  });

  it('reports its version', async () => {
    const res = await t.api<{ version: string }>('GET', '/api/v1/version');
    expect(res.body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('lists runs and filters them', async () => {
    const all = await t.api<{ runs: RunView[] }>('GET', '/api/v1/runs');
    expect(all.body.runs.map((r) => r.id)).toContain(runId);
    const none = await t.api<{ runs: RunView[] }>('GET', '/api/v1/runs?state=cancelled');
    expect(none.body.runs).toEqual([]);
    const bad = await t.api<{ code: string; message: string }>('GET', '/api/v1/runs?state=sideways');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('BAD_REQUEST');
    expect(bad.body.message).toMatch(/state/);
  });

  it('shows a run with its steps', async () => {
    const res = await t.api<{ run: RunView; steps: StepView[] }>('GET', `/api/v1/runs/${runId}`);
    expect(res.body.run).toMatchObject({ id: runId, trigger: 'dispatch', environment: 'dev', state: 'succeeded', triggeredBy: 'admin' });
    expect(res.body.steps.map((s) => s.key)).toEqual(['scan:security', 'gate:api:lint']);
  });

  it('answers 404 RUN_NOT_FOUND for a run that does not exist, and 400 for an id that is not one', async () => {
    const missing = await t.api<{ code: string }>('GET', '/api/v1/runs/9999');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('RUN_NOT_FOUND');
    const bad = await t.api<{ code: string }>('GET', '/api/v1/runs/abc');
    expect(bad.status).toBe(400);
  });

  it('returns logs as JSON, per run and per step', async () => {
    const res = await t.api<{ lines: { step: string; text: string }[] }>('GET', `/api/v1/runs/${runId}/logs?step=gate:api:lint`);
    expect(res.body.lines.map((l) => l.text)).toContain('linted');
    expect(new Set(res.body.lines.map((l) => l.step))).toEqual(new Set(['gate:api:lint']));
    const unknown = await t.api<{ code: string; hint: string }>('GET', `/api/v1/runs/${runId}/logs?step=gate:nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.hint).toMatch(/gate:api:lint/);
  });

  it('streams events of a finished run and ends the stream', async () => {
    const res = await t.server.app.inject({ method: 'GET', url: `/api/v1/runs/${runId}/events`, headers: { authorization: `Bearer ${t.token}` } });
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.body).toContain('event: step');
    expect(res.body).toContain('event: end');
  });

  it('refuses a bad dispatch body with 400 naming the field, and changes nothing', async () => {
    const before = await t.api<{ runs: RunView[] }>('GET', '/api/v1/runs');
    const noEnv = await t.api<{ code: string; message: string }>('POST', '/api/v1/dispatch', {});
    expect(noEnv.status).toBe(400);
    expect(noEnv.body.message).toMatch(/environment/);
    const extra = await t.api<{ code: string; message: string }>('POST', '/api/v1/dispatch', { environment: 'dev', colour: 'red' });
    expect(extra.status).toBe(400);
    const unknownEnv = await t.api<{ code: string; hint: string }>('POST', '/api/v1/dispatch', { environment: 'moon' });
    expect(unknownEnv.status).toBe(400);
    expect(unknownEnv.body).toMatchObject({ code: 'UNKNOWN_ENVIRONMENT' });
    expect(unknownEnv.body.hint).toMatch(/dev/);
    const unknownRef = await t.api<{ code: string }>('POST', '/api/v1/dispatch', { environment: 'dev', ref: 'no-such-branch' });
    expect(unknownRef.body.code).toBe('UNKNOWN_REF');
    const notJson = await t.server.app.inject({ method: 'POST', url: '/api/v1/dispatch', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' }, payload: '{"environment":' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toMatchObject({ code: 'BAD_REQUEST' });
    expect(notJson.body).not.toMatch(/at .*\.js:\d+/);
    const after = await t.api<{ runs: RunView[] }>('GET', '/api/v1/runs');
    expect(after.body.runs.length).toBe(before.body.runs.length);
  });

  it('refuses a body over the size limit', async () => {
    const res = await t.server.app.inject({
      method: 'POST',
      url: '/api/v1/dispatch',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ environment: 'x'.repeat(100_000) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('refuses to cancel a finished run with 409', async () => {
    const res = await t.api<{ code: string }>('POST', `/api/v1/runs/${runId}/cancel`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('RUN_ALREADY_FINISHED');
  });

  it('accepts a notify from the post-receive hook', async () => {
    const res = await t.api<{ accepted: boolean }>('POST', '/api/v1/sources/notify');
    expect(res.status).toBe(202);
  });

  it('lists environment locks and the queue', async () => {
    const res = await t.api<{ locks: unknown[]; queue: unknown[] }>('GET', '/api/v1/locks');
    expect(res.body).toEqual({ locks: [], queue: [] });
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await t.api<{ code: string }>('GET', '/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });

  it('serves the main routes over a real socket', async () => {
    const headers = { authorization: `Bearer ${t.token}` };
    const health = await fetch(`${t.server.url}/healthz`);
    expect(health.status).toBe(200);
    const denied = await fetch(`${t.server.url}/api/v1/runs`);
    expect(denied.status).toBe(401);
    const runs = (await (await fetch(`${t.server.url}/api/v1/runs`, { headers })).json()) as { runs: RunView[] };
    expect(runs.runs.length).toBeGreaterThan(0);
    const dispatched = await fetch(`${t.server.url}/api/v1/dispatch`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ environment: 'dev' }) });
    expect(dispatched.status).toBe(201);
    const { run } = (await dispatched.json()) as { run: RunView };
    const events = await fetch(`${t.server.url}/api/v1/runs/${run.id}/events`, { headers });
    const text = await events.text();
    expect(text).toMatch(/event: end\ndata: .*"state":"succeeded"/);
    const logs = await fetch(`${t.server.url}/api/v1/runs/${run.id}/logs?follow=true`, { headers });
    expect(await logs.text()).toMatch(/event: log[\s\S]*cached: this gate passed[\s\S]*event: end/);
    expect(t.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
