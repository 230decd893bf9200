import type { Command } from 'commander';
import type { RunView } from '../../server/views.js';
import type { Wrap } from '../program.js';
import { parseRunId } from './parse.js';
import { askConfirmation } from '../prompt.js';
import { examplesHelp, printTable } from '../table.js';

interface PendingApproval {
  run: RunView;
  environment: string;
  kind: 'deploy' | 'analysis';
  required: number;
  confirmation: string | null;
  approvedBy: string[];
  message: string | null;
}

export function registerApprovals(program: Command, wrap: Wrap): void {
  program
    .command('approvals')
    .description('runs waiting for a person: deployment approvals and paused watch windows')
    .action(
      wrap(async (ctx) => {
        const { approvals } = await ctx.client().request<{ approvals: PendingApproval[] }>('GET', '/api/v1/approvals');
        if (ctx.out.json) {
          ctx.out.printJson({ approvals });
          return 0;
        }
        if (approvals.length === 0) ctx.out.out('nothing is waiting for approval');
        else {
          const rows = approvals.map((a) => [
            `#${a.run.id}`,
            a.environment,
            a.kind === 'deploy' ? `${a.approvedBy.length}/${a.required} approvals` : 'inconclusive watch window',
            `${a.run.ref}@${a.run.sha.slice(0, 7)}`,
            `${a.run.author ?? a.run.triggeredBy}${a.approvedBy.length ? `  (approved: ${a.approvedBy.join(', ')})` : ''}`,
          ]);
          printTable(ctx, ['RUN', 'ENV', 'WAITING FOR', 'REF', 'BY'], rows);
        }
        return 0;
      }),
    );

  program
    .command('approve <run>')
    .description('approve a run waiting for approval (production asks for its typed phrase)')
    .option('--comment <text>', 'why')
    .option('--confirm <phrase>', 'the environment\'s confirmation phrase, e.g. "DEPLOY TO PRODUCTION"')
    .addHelpText(
      'after',
      examplesHelp([
        ['gantry approvals', 'what waits for a person'],
        ['gantry approve 42 --comment "checked the migration"', 'approve run #42, with why'],
        ['gantry approve 42 --confirm "DEPLOY TO PRODUCTION"', 'off a terminal, where nobody can type the phrase'],
      ]),
    )
    .action(
      wrap(async (ctx, id: string, opts: { comment?: string; confirm?: string }) => {
        const runId = parseRunId(id);
        const client = ctx.client();
        let confirm = opts.confirm;
        if (confirm === undefined) {
          const { approvals } = await client.request<{ approvals: PendingApproval[] }>('GET', '/api/v1/approvals');
          const phrase = approvals.find((a) => a.run.id === runId)?.confirmation;
          if (phrase) confirm = await askConfirmation(ctx, phrase);
        }
        const body = { ...(opts.comment ? { comment: opts.comment } : {}), ...(confirm !== undefined ? { confirm } : {}) };
        const result = await client.request<{ run: RunView; kind: string }>('POST', `/api/v1/runs/${runId}/approve`, body);
        if (ctx.out.json) ctx.out.printJson(result);
        else ctx.out.out(`approved run #${runId}${result.kind === 'analysis' ? ' (accepted the inconclusive watch window)' : ''}`);
        return 0;
      }),
    );

  program
    .command('reject <run>')
    .description('reject a run waiting for approval: it ends, nothing is deployed')
    .requiredOption('--reason <text>', 'why (shown on the run and in notifications)')
    .action(
      wrap(async (ctx, id: string, opts: { reason: string }) => {
        const runId = parseRunId(id);
        const result = await ctx.client().request<{ run: RunView }>('POST', `/api/v1/runs/${runId}/reject`, { reason: opts.reason });
        if (ctx.out.json) ctx.out.printJson(result);
        else ctx.out.out(`rejected run #${runId}: ${opts.reason}`);
        return 0;
      }),
    );
}
