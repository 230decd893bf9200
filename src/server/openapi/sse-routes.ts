import { Params as RunId, Query as RunLogsQuery } from '../routes/logs.js';
import { LogsQuery, ServiceParams } from '../routes/service-logs.js';
import type { ApiRoute } from './api-route.js';

/**
 * The streaming routes (routes/logs.ts, routes/stream.ts, routes/service-logs.ts) as the document
 * describes them, with the input schemas those routes check.
 */

export const sseApi: readonly ApiRoute[] = [
  {
    method: 'GET',
    url: '/api/v1/runs/:id/logs',
    operationId: 'runLogs',
    tag: 'runs',
    summary: "A run's log lines (optionally one step's): JSON, or with follow an SSE stream that ends with the run or step",
    params: RunId,
    query: RunLogsQuery,
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
    params: ServiceParams,
    query: LogsQuery,
    content: ['application/json', 'text/event-stream'],
  },
];
