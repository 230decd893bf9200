import type { Command } from 'commander';
import { parseDuration } from '../../config/duration.js';
import { GantryError, UsageError } from '../../errors/index.js';
import type { Wrap } from '../program.js';
import { printTable } from '../table.js';
import { wholeNumber } from './parse.js';

/** GET /api/v1/audit's events (docs/api.md). */
interface AuditEventView {
  id: number;
  at: string;
  kind: string;
  actor: string;
  runId: number | null;
  data: Record<string, unknown>;
  prevHash: string | null;
  hash: string | null;
}

type Verdict = { ok: true; rows: number } | { ok: false; rows: number; brokenAt: number; reason: string };

const SUMMARY_WIDTH = 72;

/** `--since` as an ISO time, or a duration back from now (`2h`, `7d`). */
export function parseSince(text: string, now: number): string {
  if (/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(text)) return new Date(now - parseDuration(text)).toISOString();
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new UsageError('USAGE', `--since "${text}" is neither a time nor a duration`, { hint: 'Use an ISO time (2025-01-31T12:00:00Z) or a duration back from now (2h, 7d).' });
  return new Date(at).toISOString();
}

/** `key=value` pairs of an event's data on one line, cut to fit. */
export function summarise(data: Record<string, unknown>): string {
  const text = Object.entries(data)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return text.length > SUMMARY_WIDTH ? `${text.slice(0, SUMMARY_WIDTH - 1)}…` : text;
}

export function registerAudit(program: Command, wrap: Wrap): void {
  const audit = program
    .command('audit')
    .description('the audit log: who did what, when; `audit verify` checks its hash chain')
    .option('--since <time>', 'only events at or after this ISO time, or this long ago (2h, 7d)')
    .option('--limit <n>', 'how many (1 to 5000)', wholeNumber(1, 5000), 200)
    .action(
      wrap(async (ctx, opts: { since?: string; limit: number }) => {
        const q = new URLSearchParams({ limit: String(opts.limit), ...(opts.since ? { since: parseSince(opts.since, Date.now()) } : {}) });
        const { events } = await ctx.client().request<{ events: AuditEventView[] }>('GET', `/api/v1/audit?${q.toString()}`);
        if (ctx.out.json) {
          ctx.out.printJson({ events });
          return 0;
        }
        if (events.length === 0) ctx.out.out('no events');
        else printTable(ctx, ['AT', 'KIND', 'ACTOR', 'RUN', 'DATA'], events.map((e) => [e.at.replace('T', ' ').slice(0, 19), e.kind, e.actor, e.runId === null ? '-' : `#${e.runId}`, summarise(e.data)]));
        return 0;
      }),
    );

  audit
    .command('verify')
    .description('walk the audit hash chain; exit 1 naming the first edited, deleted or re-ordered event')
    .action(
      wrap(async (ctx) => {
        const verdict = await ctx.client().request<Verdict>('GET', '/api/v1/audit/verify');
        if (ctx.out.json) {
          ctx.out.printJson(verdict);
          return verdict.ok ? 0 : 1;
        }
        if (verdict.ok) {
          ctx.out.out(`${verdict.rows} ${verdict.rows === 1 ? 'event' : 'events'}, chain intact`);
          return 0;
        }
        throw new GantryError('AUDIT_CHAIN_BROKEN', `event #${verdict.brokenAt}: ${verdict.reason}`, {
          where: `events row id ${verdict.brokenAt} (of ${verdict.rows})`,
          hint: 'Someone changed the database behind Gantry; compare that row with a backup (see docs/errors.md#audit_chain_broken).',
        });
      }),
    );
}
