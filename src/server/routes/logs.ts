import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isTerminalRun, isTerminalStep } from '../../domain/phases.js';
import type { Step } from '../../domain/run.js';
import { NotFoundError } from '../../errors/index.js';
import type { LogLine } from '../../store/repositories/log-repository.js';
import type { ServerContext } from '../context.js';
import { lastEventId, sseStreams } from '../sse.js';
import { decodeLogLine, decodeRunProgress, encodeRunProgress, stepDigest } from '../stream-positions.js';
import { parseInput } from '../../kernel/http/validate.js';
import { runView, stepView } from '../views.js';
import { loadRun } from './runs.js';

// Exported for the API description (openapi/sse-routes.ts), so it documents exactly what is checked.
export const Params = z.object({ id: z.coerce.number().int().positive() });
export const Follow = z.enum(['true', 'false', '1', '0']).optional().describe('true or 1: a live text/event-stream instead of JSON (as is Accept: text/event-stream).');
export const Query = z.object({
  step: z.string().min(1).optional().describe('A step key (gate:api:test) or id.'),
  after: z.coerce.number().int().min(0).optional().describe('Only lines after this line id.'),
  follow: Follow,
});

const wantsStream = (request: FastifyRequest, follow: string | undefined): boolean =>
  follow === 'true' || follow === '1' || (request.headers.accept ?? '').includes('text/event-stream');

function lineView(line: LogLine, steps: readonly Step[]) {
  return { id: line.id, step: steps.find((s) => s.id === line.stepId)?.key ?? null, stepId: line.stepId, attempt: line.attempt, stream: line.stream, text: line.text, at: new Date(line.at).toISOString() };
}

export function logRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const streams = sseStreams(app);
  /**
   * A run's logs (optionally one step's): JSON, or with `follow` a live SSE stream that ends with the
   * run or step. Each line's event id is the line's id: a client reconnecting with Last-Event-ID gets
   * the lines after it.
   */
  app.get('/api/v1/runs/:id/logs', async (request, reply) => {
    const { id } = parseInput(Params, request.params, 'path');
    const q = parseInput(Query, request.query, 'query');
    await loadRun(ctx, id);
    const steps = await ctx.store.steps.forRun(id);
    const only = q.step === undefined ? undefined : steps.find((s) => s.key === q.step || String(s.id) === q.step);
    if (q.step !== undefined && !only) {
      throw new NotFoundError('NOT_FOUND', `run #${id} has no step "${q.step}"`, { hint: `Steps: ${steps.map((s) => s.key).join(', ') || 'none'}.` });
    }
    if (!wantsStream(request, q.follow)) {
      const lines = await ctx.store.logs.forRun(id, q.after ?? 0, 5000, only?.id);
      return { lines: lines.map((l) => lineView(l, steps)) };
    }
    const sse = streams.open(reply);
    let cursor = Math.max(q.after ?? 0, decodeLogLine(lastEventId(request)) ?? 0);
    let busy = false;
    let again = false;
    const pump = async (): Promise<void> => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        do {
          again = false;
          const lines = await ctx.store.logs.forRun(id, cursor, 5000, only?.id);
          for (const line of lines) sse.send('log', lineView(line, steps), String(line.id));
          cursor = lines.at(-1)?.id ?? cursor;
          const run = await ctx.store.runs.get(id);
          const step = only ? await ctx.store.steps.get(only.id) : undefined;
          const finished = step ? isTerminalStep(step.state) : run ? isTerminalRun(run.state) : true;
          if (finished && lines.length === 0) {
            sse.send('end', step ? { step: stepView(step) } : { run: run && runView(run) });
            sse.close();
            return;
          }
          if (lines.length > 0) again = true;
        } while (again);
      } finally {
        busy = false;
      }
    };
    const safePump = (): void => void pump().catch(() => sse.close());
    const off = ctx.engine.bus.subscribe((e) => {
      if (e.runId === id) safePump();
    });
    safePump();
    await sse.closed;
    off();
  });

  /**
   * Live run progress: the run and each step as they change; ends when the run ends. Each event's id
   * is a digest of what the client has been told (stream-positions.ts): reconnecting with it as
   * Last-Event-ID sends only the steps (and run state) that changed since.
   */
  app.get('/api/v1/runs/:id/events', async (request, reply) => {
    const { id } = parseInput(Params, request.params, 'path');
    await loadRun(ctx, id);
    const resumed = decodeRunProgress(lastEventId(request));
    const sse = streams.open(reply);
    const sent = new Map<number, string>(resumed?.steps ?? []);
    let runState = resumed?.runState ?? '';
    const position = (): string => encodeRunProgress({ runState, steps: sent });
    const pump = async (): Promise<void> => {
      const run = await ctx.store.runs.get(id);
      if (!run) return;
      const steps = await ctx.store.steps.forRun(id);
      for (const s of steps) {
        const fingerprint = stepDigest(`${s.state}|${s.message ?? ''}|${s.attempt}`);
        if (sent.get(s.id) === fingerprint) continue;
        sent.set(s.id, fingerprint);
        sse.send('step', stepView(s), position());
      }
      if (run.state !== runState) {
        runState = run.state;
        sse.send('run', runView(run), position());
      }
      if (isTerminalRun(run.state)) {
        sse.send('end', { run: runView(run) }, position());
        sse.close();
      }
    };
    let chain = Promise.resolve();
    const schedule = (): void => {
      chain = chain.then(pump).catch(() => sse.close());
    };
    const off = ctx.engine.bus.subscribe((e) => {
      if (e.runId === id && e.type !== 'log') schedule();
    });
    // Lock waits change only a message; a slow poll catches those without a bus event.
    const timer = setInterval(schedule, 1_000);
    schedule();
    await sse.closed;
    clearInterval(timer);
    off();
  });
}
