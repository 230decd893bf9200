import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import type { CliContext } from '../context.js';
import type { Wrap } from '../program.js';

/** GET /api/v1/config's `pinned` (docs/api.md). */
interface PinnedView {
  source: 'file' | 'commit';
  file: string;
  sha: string | null;
  by: string;
  reason: string | null;
  since: string;
  hash: string;
}

interface PendingView {
  sha: string;
  proposedAt: string;
  proposedBy: string;
  changes: string[];
}

interface AcceptView {
  accepted: boolean;
  sha: string;
  changes: string[];
  pinned: PinnedView;
}

const SHA = /^[0-9a-f]{4,64}$/i;
const when = (iso: string): string => iso.replace('T', ' ').slice(0, 19);

/** One line: where the rules in force came from. */
export function describePinned(p: PinnedView): string {
  if (p.source === 'file') return `guard rules from ${p.file} (${p.hash.slice(0, 19)}…), in force since ${when(p.since)}`;
  const reason = p.reason ? `: ${p.reason}` : '';
  return `guard rules from commit ${(p.sha ?? '').slice(0, 7)}, accepted by ${p.by} at ${when(p.since)}${reason} (over ${p.file})`;
}

function printChanges(ctx: CliContext, changes: readonly string[]): void {
  for (const change of changes) ctx.out.out(`  ${change}`);
}

export function registerConfig(program: Command, wrap: Wrap): void {
  const config = program.command('config').description("the server's pinned gantry.yaml: where its guard rules come from, and accepting a commit's");
  config
    .command('show')
    .description('where the guard rules in force come from (file or accepted commit, who, when), and changes commits propose')
    .action(
      wrap(async (ctx) => {
        const r = await ctx.client().request<{ pinned: PinnedView; pending: PendingView[] }>('GET', '/api/v1/config');
        if (ctx.out.json) {
          ctx.out.printJson(r);
          return 0;
        }
        ctx.out.out(describePinned(r.pinned));
        if (r.pending.length === 0) ctx.out.out('no pending guard-rule changes');
        for (const p of r.pending) {
          ctx.out.out(`pending: ${p.sha.slice(0, 7)}, proposed ${when(p.proposedAt)} by ${p.proposedBy} (gantry config accept ${p.sha.slice(0, 7)}):`);
          printChanges(ctx, p.changes);
        }
        return 0;
      }),
    );
  config
    .command('accept <sha>')
    .description("put a commit's guard rules (approvals, confirmation, promotion, secret scopes, branch protection) in force; admin, audited")
    .option('--reason <text>', 'why, for the audit log')
    .action(
      wrap(async (ctx, sha: string, opts: { reason?: string }) => {
        if (!SHA.test(sha)) throw new UsageError('USAGE', `"${sha}" is not a commit sha`, { hint: 'Give 4 to 64 hex digits, e.g. `gantry config accept 3f1c2d4`; `gantry config show` lists commits that propose changes.' });
        const r = await ctx.client().request<AcceptView>('POST', '/api/v1/config/accept', { sha, ...(opts.reason ? { reason: opts.reason } : {}) });
        if (ctx.out.json) {
          ctx.out.printJson(r);
          return 0;
        }
        if (!r.accepted) {
          ctx.out.out(`the guard rules of ${r.sha.slice(0, 7)} equal those in force: nothing changed`);
          return 0;
        }
        ctx.out.out(`accepted the guard rules of ${r.sha.slice(0, 7)} (${r.changes.length} change${r.changes.length === 1 ? '' : 's'}):`);
        printChanges(ctx, r.changes);
        return 0;
      }),
    );
}
