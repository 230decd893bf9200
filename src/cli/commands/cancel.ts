import type { Command } from 'commander';
import type { RunView } from '../../server/views.js';
import type { Wrap } from '../program.js';
import { parseRunId } from './parse.js';

export function registerCancel(program: Command, wrap: Wrap): void {
  program
    .command('cancel <run>')
    .description('cancel a queued or running run: running steps are stopped, the rest never start')
    .action(
      wrap(async (ctx, id: string) => {
        const runId = parseRunId(id);
        const { run } = await ctx.client().request<{ run: RunView }>('POST', `/api/v1/runs/${runId}/cancel`);
        if (ctx.out.json) ctx.out.printJson({ run });
        else ctx.out.out(`run #${run.id}: cancel requested (it stops its running steps and ends as cancelled)`);
        return 0;
      }),
    );
}
