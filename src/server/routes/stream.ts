import type { FastifyInstance } from 'fastify';
import type { EngineEvent } from '../../engine/events.js';
import type { ServerContext } from '../context.js';
import { openSse } from '../sse.js';

/** Changes are sent at most this often: a busy run changes steps faster than a page can redraw. */
const BATCH_MS = 150;

/**
 * Everything that changes, as it changes: which runs and steps moved. Clients (the dashboard) read
 * what they show through the other routes and refetch it when a change names it; the stream carries
 * no data a viewer could not read anyway, and no log lines (those have their own stream per run).
 */
export function streamRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/v1/stream', async (_request, reply) => {
    const sse = openSse(reply);
    let pending = new Map<string, { type: 'run' | 'step'; runId: number; state: string }>();
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      timer = undefined;
      const batch = [...pending.values()];
      pending = new Map();
      if (batch.length > 0) sse.send('changes', { changes: batch });
    };
    const off = ctx.engine.bus.subscribe((e: EngineEvent) => {
      if (e.type === 'log') return;
      pending.set(e.type === 'run' ? `run:${e.runId}` : `step:${e.stepId}`, { type: e.type, runId: e.runId, state: e.state });
      timer ??= setTimeout(flush, BATCH_MS);
    });
    sse.send('ready', { at: new Date(ctx.clock.now()).toISOString() });
    await sse.closed;
    off();
    if (timer) clearTimeout(timer);
  });
}
