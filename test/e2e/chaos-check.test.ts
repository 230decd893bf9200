import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import type { RunView, StepView } from '../../src/server/views.js';
import { basePort, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Issue 15, item 4: chaos checks through the whole pipeline. A real server, a real agent (two
 * replicas of the service, real processes), releases dispatched over the HTTP API to staging. The
 * server's gantry.yaml is changed by restarting the server on another file, as an operator would.
 */

const HOLDS = `      - kind: chaos
        duration: 3s
        faults: { latency: { ms: 50, share: 0.5 }, abort: { status: 503, share: 0.05 }, reset: { share: 0.02 }, killReplica: true }
        load: { service: api, path: /, connections: 4, rate: 100 }
        maxErrorRate: 0.3
        maxP99: 2s
`;
const BREAKS = `      - kind: chaos
        duration: 2s
        faults: { abort: { status: 503, share: 0.5 } }
        load: { service: api, path: /, connections: 2, rate: 50 }
        maxErrorRate: 0.05
        expect: rollback
`;

function config(port: number, chaos: string, allowed = true): string {
  return `version: 1
project:
  name: chaos
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs version out/ && (cp mode out/ 2>/dev/null || true)
      output: out
    run:
      command: node server.mjs
      port: ${port}
    replicas: 2
    health:
      path: /healthz
      interval: 100ms
      deadline: 5s
environments:
  staging:
    branch: staging
    autoDeploy: false
    strategy: rolling
    chaos: { allowed: ${allowed} }
    verify:
      - kind: health
${chaos}`;
}

interface ChaosSummary {
  expect: string;
  expected: boolean;
  injected: { faults: Record<string, unknown>; durationMs: number; hits: { seen: number; delayed: number; aborted: number; reset: number } | null };
  killed: { replica: string; revision: number; restarted: boolean } | null;
  seen: { requests: number; failed: number; errorRate: number; byCause: { status: Record<string, number>; connection: number; timeouts: number }; p99Ms: number };
  problems: string[];
}

describe('chaos checks in a staging deploy', () => {
  const temp = new TempDirs();
  const port = basePort();
  const url = `http://127.0.0.1:${port}/`;
  let root = '';
  let repo: ScratchRepo;
  let t: TestServer;
  let token = '';

  const api = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await t.server.app.inject({ method, url: path, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, body: res.json<T>() };
  };
  const dispatch = async (ref: string): Promise<{ run: RunView; steps: StepView[] }> => {
    const res = await api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'staging', ref });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    // Asked with the first server's token: a restarted server makes no new bootstrap token.
    return until(`run #${res.body.run.id} to finish`, async () => {
      const view = (await api<{ run: RunView; steps: StepView[] }>('GET', `/api/v1/runs/${res.body.run.id}`)).body;
      return ['succeeded', 'failed', 'cancelled'].includes(view.run.state) ? view : undefined;
    }, 120_000, 200);
  };
  const restart = async (text: string): Promise<void> => {
    await t.server.close();
    t = await startTestServer(root, repo, text);
  };
  const served = async (): Promise<{ version: string; fault: unknown; status: number }> => {
    const res = await request(url);
    const status = res.statusCode;
    const body = status === 200 ? ((await res.body.json()) as { version: string }) : { version: await res.body.text() };
    return { version: body.version, fault: res.headers['x-gantry-fault'], status };
  };

  beforeAll(async () => {
    root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config(port, HOLDS), ...serviceFiles('good') });
    t = await startTestServer(root, repo, config(port, HOLDS));
    token = t.token;
  });
  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('passes when the service holds its thresholds under faults, reports what was injected and seen, and leaves no fault on', async () => {
    const { run, steps } = await dispatch('staging');
    expect(run.state, JSON.stringify(run.error)).toBe('succeeded');
    const verify = steps.find((s) => s.key === 'verify:staging');
    const chaos = (verify?.summary?.chaos as ChaosSummary[] | undefined)?.[0];
    expect(chaos).toMatchObject({ expect: 'hold', expected: true, problems: [] });
    expect(chaos?.injected.faults).toEqual({ latency: { ms: 50, share: 0.5 }, abort: { status: 503, share: 0.05 }, reset: { share: 0.02 } });
    expect(chaos?.injected.hits?.aborted).toBeGreaterThan(0);
    expect(chaos?.injected.hits?.delayed).toBeGreaterThan(0);
    expect(chaos?.killed).toMatchObject({ replica: expect.stringMatching(/^api-r1-[01]$/), revision: 1, restarted: true });
    expect(chaos?.seen.requests).toBeGreaterThan(100);
    expect(chaos?.seen.byCause.status['503']).toBeGreaterThan(0);
    expect(chaos?.seen.errorRate).toBeLessThanOrEqual(0.3);
    // The faults are off: none of 200 requests is aborted or reset (with them on, 7 % of each would be).
    for (let i = 0; i < 200; i++) expect(await served()).toMatchObject({ status: 200, fault: undefined, version: 'good' });
  });

  it('fails the verification when the thresholds break, as expect: rollback says, and the previous release serves', async () => {
    await restart(config(port, BREAKS));
    await pushChange(repo, 'staging', serviceFiles('second'), 'second release');
    const { run, steps } = await dispatch('staging');
    expect(run.state).toBe('failed');
    expect(run.error?.code).toBe('CHAOS_CHECK_FAILED');
    expect(run.error?.message).toMatch(/expected outcome: the service broke its thresholds \(error rate .* > 5\.00 %\) and the run rolls back/);
    const verify = steps.find((s) => s.key === 'verify:staging');
    const chaos = (verify?.summary?.chaos as ChaosSummary[] | undefined)?.[0];
    expect(chaos).toMatchObject({ expect: 'rollback', expected: true, killed: null });
    expect(chaos?.seen.byCause.status['503']).toBeGreaterThan(0);
    expect(steps.find((s) => s.key === 'rollback:staging')?.state).toBe('succeeded');
    expect(await served()).toMatchObject({ status: 200, version: 'good', fault: undefined });
  });

  it('refuses at run time a chaos check the pinned config no longer allows, injecting nothing', async () => {
    // An admin accepts a commit whose gantry.yaml turns chaos off in staging: the server's own file
    // still lists the check, the pinned rules now say no.
    const off = config(port, '', false);
    const sha = await pushChange(repo, 'staging', { 'gantry.yaml': off, ...serviceFiles('third') }, 'chaos off in staging');
    const accepted = await api<{ accepted: boolean; changes: string[] }>('POST', '/api/v1/config/accept', { sha });
    expect(accepted.body.changes).toContain('environments.staging.chaos.allowed: true → false');
    const { run, steps } = await dispatch('staging');
    expect(run.state).toBe('failed');
    expect(run.error?.code).toBe('CHAOS_NOT_ALLOWED');
    expect(run.error?.message).toContain('refused before any fault was injected');
    expect(steps.find((s) => s.key === 'rollback:staging')?.state).toBe('succeeded');
    expect(await served()).toMatchObject({ status: 200, version: 'good', fault: undefined });
  });
});
