import { expect } from 'vitest';
import type { RunView, StepView } from '../../src/server/views.js';
import { until } from './temp.js';
import type { TestServer } from './test-server.js';

/**
 * Driving a release through environments over the API of an in-process test server, as the e2e
 * pipeline tests of every target kind do: requests with a token, dispatches (with production's
 * confirmation), two approvals, the failed steps of a run for assertion messages.
 */
export interface PipelineDriver {
  api<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  dispatch(environment: string, ref: string): Promise<number>;
  /** Waits until the run asks for approval, then approves it once with each token. */
  approve(runId: number, tokens: readonly string[]): Promise<void>;
}

export const failedSteps = (steps: readonly StepView[]): string =>
  steps
    .filter((s) => s.state === 'failed')
    .map((s) => `${s.key}: ${s.message ?? ''}`)
    .join('; ');

export function pipelineDriver(server: () => TestServer, confirmation = 'DEPLOY TO PRODUCTION'): PipelineDriver {
  const api = async <T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> => {
    const t = server();
    const res = await t.server.app.inject({ method, url: path, headers: { authorization: `Bearer ${token ?? t.token}` }, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, body: res.json<T>() };
  };
  return {
    api,
    async dispatch(environment, ref) {
      const r = await api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment, ref, ...(environment === 'production' ? { confirm: confirmation } : {}) });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.run.id;
    },
    async approve(runId, tokens) {
      await until(`run #${runId} to ask for approvals`, async () => {
        const view = (await api<{ run: RunView; steps: StepView[] }>('GET', `/api/v1/runs/${runId}`)).body;
        if (['failed', 'cancelled'].includes(view.run.state)) throw new Error(`run #${runId} ended before its approvals: ${failedSteps(view.steps)}`);
        return view.steps.some((s) => s.kind === 'approval' && (s.state === 'waiting' || s.state === 'running'));
      }, 120_000, 200);
      for (const token of tokens) {
        const ok = await api('POST', `/api/v1/runs/${runId}/approve`, { confirm: confirmation, comment: 'ship it' }, token);
        expect(ok.status, JSON.stringify(ok.body)).toBe(201);
      }
    },
  };
}
