import type { Command } from 'commander';
import type { RunView } from '../../server/views.js';
import { followRun, printFailure, runSummary } from '../follow.js';
import type { Wrap } from '../program.js';

export function registerDispatch(program: Command, wrap: Wrap): void {
  program
    .command('dispatch <environment>')
    .description("run a ref (default: the environment's branch) through CI and on to the environment, watching it live")
    .option('--ref <ref>', 'branch, tag or commit to dispatch')
    .option('--detach', 'print the run and return without watching it')
    .action(
      wrap(async (ctx, environment: string, opts: { ref?: string; detach?: boolean }) => {
        const client = ctx.client();
        const { run } = await client.request<{ run: RunView }>('POST', '/api/v1/dispatch', { environment, ...(opts.ref ? { ref: opts.ref } : {}) });
        if (!ctx.out.json) ctx.out.out(`run #${run.id} dispatched: ${run.ref}@${run.sha.slice(0, 7)} → ${environment}`);
        if (opts.detach) {
          if (ctx.out.json) ctx.out.printJson({ run });
          return 0;
        }
        const finished = await followRun(client, ctx.out, run.id, { quiet: ctx.out.json });
        if (ctx.out.json) ctx.out.printJson({ run: finished });
        else {
          ctx.out.out(runSummary(ctx.out, finished));
          for (const note of finished.notes) ctx.out.out(ctx.out.paint('dim', `  note: ${note}`));
          if (finished.state === 'failed') printFailure(ctx.out, finished);
        }
        return finished.state === 'succeeded' ? 0 : 1;
      }),
    );
}
