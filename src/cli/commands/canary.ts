import type { Command } from 'commander';
import type { RunView } from '../../server/views.js';
import type { Wrap } from '../program.js';
import { parseRunId } from './parse.js';

interface DecisionReply {
  readonly run: RunView;
  readonly decision: 'promote' | 'abort';
  readonly deployments: ReadonlyArray<{ readonly environment: string; readonly service: string; readonly revision: number }>;
}

const names = (reply: DecisionReply): string => reply.deployments.map((d) => `${d.service} r${d.revision}`).join(', ');

/** `gantry promote` and `gantry abort`: a person's calls on a run's running canary, as `kubectl argo rollouts promote|abort`. */
export function registerCanary(program: Command, wrap: Wrap): void {
  program
    .command('promote <run>')
    .description("end the pause a run's canary waits in (a pause without a duration waits for this); needs the deployer role")
    .option('--comment <text>', 'why, for the audit log')
    .action(
      wrap(async (ctx, id: string, opts: { comment?: string }) => {
        const runId = parseRunId(id);
        const reply = await ctx.client().request<DecisionReply>('POST', `/api/v1/runs/${runId}/promote`, opts.comment === undefined ? {} : { comment: opts.comment });
        if (ctx.out.json) ctx.out.printJson(reply);
        else ctx.out.out(`run #${reply.run.id}: promoted ${names(reply)}; the canary goes on to its next step`);
        return 0;
      }),
    );
  program
    .command('abort <run>')
    .description("abort a run's running canary: its weight goes to 0 at once and the run rolls back; needs the deployer role")
    .option('--reason <text>', 'why, for the audit log and the run')
    .action(
      wrap(async (ctx, id: string, opts: { reason?: string }) => {
        const runId = parseRunId(id);
        const reply = await ctx.client().request<DecisionReply>('POST', `/api/v1/runs/${runId}/abort`, opts.reason === undefined ? {} : { reason: opts.reason });
        if (ctx.out.json) ctx.out.printJson(reply);
        else ctx.out.out(`run #${reply.run.id}: abort requested for ${names(reply)}; the stable revision takes all traffic and the run rolls back`);
        return 0;
      }),
    );
}
