import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { EngineEvent } from '../../engine/events.js';
import type { ServerContext } from '../context.js';
import { lastEventId, sseStreams } from '../sse.js';

/** Changes are sent at most this often: a busy run changes steps faster than a page can redraw. */
const BATCH_MS = 150;
/** Changes kept for clients that reconnect: one away longer than this many changes starts over. */
const KEPT_CHANGES = 2_000;

interface Change {
  readonly type: 'run' | 'step';
  readonly runId: number;
  readonly state: string;
}

/**
 * Everything that changes, as it changes: which runs and steps moved. Clients (the dashboard) read
 * what they show through the other routes and refetch it when a change names it; the stream carries
 * no data a viewer could not read anyway, and no log lines (those have their own stream per run).
 *
 * Each batch's id is `<server>.<n>`: this server's start and the number of its last change. A client
 * reconnecting with it (Last-Event-ID) to the same server gets the changes it missed and `ready`
 * says `resumed: true`; to another server (a restart), or after more than KEPT_CHANGES, `resumed:
 * false`, and the client rereads everything.
 */
export function streamRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const streams = sseStreams(app);
  const server = randomBytes(4).toString('hex');
  let seq = 0;
  const kept: Array<{ seq: number; key: string; change: Change }> = [];
  const keyOf = (e: Exclude<EngineEvent, { type: 'log' }>): string => (e.type === 'run' ? `run:${e.runId}` : `step:${e.stepId}`);
  const record = ctx.engine.bus.subscribe((e: EngineEvent) => {
    if (e.type === 'log') return;
    kept.push({ seq: ++seq, key: keyOf(e), change: { type: e.type, runId: e.runId, state: e.state } });
    if (kept.length > KEPT_CHANGES) kept.splice(0, kept.length - KEPT_CHANGES);
  });
  app.addHook('onClose', (_app, done) => {
    record();
    done();
  });
  /** The changes after `after`, the latest of each run or step; undefined when they are no longer all kept. */
  const missed = (after: number): Change[] | undefined => {
    if (after > seq || (kept[0] && kept[0].seq > after + 1)) return undefined;
    const latest = new Map<string, Change>();
    for (const k of kept) if (k.seq > after) latest.set(k.key, k.change);
    return [...latest.values()];
  };

  app.get('/api/v1/stream', async (request, reply) => {
    const [from, n] = (lastEventId(request) ?? '').split('.');
    const back = from === server && /^\d+$/.test(n ?? '') ? missed(Number(n)) : undefined;
    const sse = streams.open(reply);
    let pending = new Map<string, Change>();
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      timer = undefined;
      const batch = [...pending.values()];
      pending = new Map();
      if (batch.length > 0) sse.send('changes', { changes: batch }, `${server}.${seq}`);
    };
    const off = ctx.engine.bus.subscribe((e: EngineEvent) => {
      if (e.type === 'log') return;
      pending.set(keyOf(e), { type: e.type, runId: e.runId, state: e.state });
      timer ??= setTimeout(flush, BATCH_MS);
    });
    sse.send('ready', { at: new Date(ctx.clock.now()).toISOString(), resumed: back !== undefined }, `${server}.${seq}`);
    if (back && back.length > 0) sse.send('changes', { changes: back }, `${server}.${seq}`);
    await sse.closed;
    off();
    if (timer) clearTimeout(timer);
  });
}
