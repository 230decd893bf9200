import { z } from 'zod';
import type { ApiRoute } from './api-route.js';

/**
 * The streaming routes (routes/logs.ts, routes/stream.ts, routes/service-logs.ts) as the document
 * describes them. Their input schemas are restated here rather than imported, as those files are
 * not built around the catalog; the drift test still fails if a route appears or disappears.
 */
const RunId = z.object({ id: z.coerce.number().int().positive() });
const Name = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/);
const Follow = z.enum(['true', 'false', '1', '0']).optional().describe('true or 1: a live text/event-stream instead of JSON (as is Accept: text/event-stream).');

export const sseApi: readonly ApiRoute[] = [
  {
    method: 'GET',
    url: '/api/v1/runs/:id/logs',
    operationId: 'runLogs',
    tag: 'runs',
    summary: "A run's log lines (optionally one step's): JSON, or with follow an SSE stream that ends with the run or step",
    params: RunId,
    query: z.object({ step: z.string().min(1).optional().describe('A step key (gate:api:test) or id.'), after: z.coerce.number().int().min(0).optional().describe('Only lines after this line id.'), follow: Follow }),
    content: ['application/json', 'text/event-stream'],
  },
  { method: 'GET', url: '/api/v1/runs/:id/events', operationId: 'runEvents', tag: 'runs', summary: 'Live run progress as SSE: the run and each step as they change; ends when the run ends', params: RunId, content: ['text/event-stream'] },
  { method: 'GET', url: '/api/v1/stream', operationId: 'changeStream', tag: 'runs', summary: 'Every change as SSE (which runs and steps moved), for clients that refetch what changed', content: ['text/event-stream'] },
  {
    method: 'GET',
    url: '/api/v1/environments/:env/services/:service/logs',
    operationId: 'serviceLogs',
    tag: 'environments',
    summary: "A running service's own output (its live revision or ?revision=N): JSON, or with follow an SSE stream",
    params: z.object({ env: Name, service: Name }),
    query: z.object({ revision: z.coerce.number().int().positive().optional(), lines: z.coerce.number().int().min(1).max(5000).optional(), follow: Follow }),
    content: ['application/json', 'text/event-stream'],
  },
];
