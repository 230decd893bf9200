import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GantryError, NotFoundError } from '../../errors/index.js';
import { parseInput } from '../../kernel/http/validate.js';
import type { ServerContext } from '../context.js';
import { newLines } from '../log-overlap.js';
import { secretMask } from '../secret-mask.js';
import { Follow } from './logs.js';
import { lastEventId, sseStreams, type SseChannel } from '../sse.js';
import { decodeServiceLog, linesAfter, serviceLogPosition, type ServiceLogPosition } from '../stream-positions.js';

// Exported for the API description (openapi/sse-routes.ts), so it documents exactly what is checked.
export const ServiceParams = z.object({ env: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/), service: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/) });
export const LogsQuery = z.object({
  revision: z.coerce.number().int().positive().optional(),
  lines: z.coerce.number().int().min(1).max(5000).optional(),
  follow: Follow,
});

export const DEFAULT_LOG_LINES = 100;
/** How often a follow reads the target's last lines again. */
export const FOLLOW_POLL_MS = 1_000;
/** Lines read at each poll of a follow: more new lines than this within one poll leave a gap (said as a notice). */
export const FOLLOW_WINDOW = 500;

const wantsStream = (request: FastifyRequest, follow: string | undefined): boolean =>
  follow === 'true' || follow === '1' || (request.headers.accept ?? '').includes('text/event-stream');

interface Followed {
  readonly env: string;
  readonly service: string;
  /** The revision asked for with ?revision=N: followed as is; otherwise the live one, changing with deploys. */
  readonly pinned: number | undefined;
  readonly tail: number;
}

/**
 * Streams the new lines of a revision until the client goes: reads the target's last lines every
 * FOLLOW_POLL_MS and sends those after the ones already sent (log-overlap.ts). When a deploy makes
 * another revision live, says so and follows that one from its first line. Resumed (`from`, the
 * client's Last-Event-ID), it starts after the lines that position names instead of the last `tail`.
 */
async function follow(ctx: ServerContext, sse: SseChannel, f: Followed, start: number, from: ServiceLogPosition | undefined): Promise<void> {
  let revision = from?.revision ?? start;
  const mask = secretMask(ctx);
  let seen: readonly string[] = [];
  let first = from === undefined;
  let resume = from;
  let unreachable = false;
  const poll = async (): Promise<void> => {
    const live = f.pinned ?? (await ctx.store.deployments.live(f.env, f.service))?.revision;
    if (live !== undefined && live !== revision) {
      sse.send('revision', { previous: revision, revision: live, message: `${f.env}/${f.service}: r${live} is live now (was r${revision}); following r${live}` }, serviceLogPosition(live, []));
      revision = live;
      seen = [];
      first = false;
      resume = undefined;
    }
    const read = ctx.revisionLogs ? await ctx.revisionLogs(f.env, f.service, revision, first ? Math.max(f.tail, FOLLOW_WINDOW) : FOLLOW_WINDOW).catch(() => undefined) : undefined;
    // Masked before matching, so that lines already sent compare equal to their next read.
    const fetched = read?.map(mask);
    if (fetched === undefined) {
      if (!unreachable) sse.send('notice', { message: `the target of ${f.env} does not answer; still trying` });
      unreachable = true;
      return;
    }
    unreachable = false;
    const after = resume && linesAfter(resume, fetched);
    const { fresh, gap } = resume ? { fresh: after ?? fetched, gap: after === undefined } : newLines(seen, fetched);
    resume = undefined;
    if (gap) sse.send('notice', { message: `more than ${FOLLOW_WINDOW} lines (or a restarted log) since the last read: some lines may be missing` });
    const lines = first ? fresh.slice(-f.tail) : fresh;
    if (lines.length > 0) sse.send('lines', { revision, lines }, serviceLogPosition(revision, fetched));
    seen = fetched;
    first = false;
  };
  let open = true;
  void sse.closed.then(() => (open = false));
  while (open) {
    await poll().catch(() => undefined);
    if (!open) break;
    await Promise.race([new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS)), sse.closed]);
  }
}

export function serviceLogRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const streams = sseStreams(app);
  /**
   * The last lines a revision of a service wrote (the live one unless `revision` says), read from
   * its target: a process's log file or a container's output, secret values masked. With `follow`
   * an SSE stream of its new lines until the client disconnects.
   */
  app.get('/api/v1/environments/:env/services/:service/logs', async (request, reply) => {
    const { env, service } = parseInput(ServiceParams, request.params, 'path');
    const q = parseInput(LogsQuery, request.query, 'query');
    const config = ctx.config();
    if (!config.environments[env]) throw new GantryError('UNKNOWN_ENVIRONMENT', `environment "${env}" is not declared in gantry.yaml`, { hint: `Environments: ${Object.keys(config.environments).join(', ') || 'none'}.` });
    if (!config.environments[env]?.services.includes(service)) {
      throw new NotFoundError('NOT_FOUND', `${env} does not deploy a service "${service}"`, { hint: `It deploys: ${config.environments[env]?.services.join(', ') ?? 'nothing'}.` });
    }
    const revision = q.revision ?? (await ctx.store.deployments.live(env, service))?.revision;
    if (revision === undefined) throw new NotFoundError('NOT_FOUND', `${env}/${service} has no live revision`, { hint: 'Deploy it first, or name a revision with ?revision=N (gantry history shows them).' });
    const tail = q.lines ?? DEFAULT_LOG_LINES;
    if (wantsStream(request, q.follow)) {
      const sse = streams.open(reply);
      await follow(ctx, sse, { env, service, pinned: q.revision, tail }, revision, decodeServiceLog(lastEventId(request)));
      return;
    }
    const lines = ctx.revisionLogs ? await ctx.revisionLogs(env, service, revision, tail) : undefined;
    if (lines === undefined) throw new GantryError('AGENT_UNREACHABLE', `the target of ${env} is not running, so ${service} r${revision} has no output to show`, { hint: 'gantry status shows the agents; the server starts a local one at the next deploy.' });
    return { environment: env, service, revision, lines: lines.map(secretMask(ctx)) };
  });
}
