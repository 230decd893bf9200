import type { Command } from 'commander';
import type { RunView, StepView } from '../../server/views.js';
import { followRun, printFailure, runSummary, stepLine } from '../follow.js';
import { followWithin, timeoutMs, TIMEOUT_FLAG } from '../follow-timeout.js';
import type { Wrap } from '../program.js';
import { parseRunId } from './parse.js';

export function registerRun(program: Command, wrap: Wrap): void {
  const run = program.command('run').description('look at one run');
  run
    .command('show <id>')
    .description('a run with its steps; --follow to watch it live until it ends')
    .option('-f, --follow', 'keep watching until the run ends')
    .option(...TIMEOUT_FLAG, timeoutMs)
    .action(
      wrap(async (ctx, id: string, opts: { follow?: boolean; timeout?: number }) => {
        const runId = parseRunId(id);
        const client = ctx.client();
        let data = await client.request<{ run: RunView; steps: StepView[] }>('GET', `/api/v1/runs/${runId}`);
        if (opts.follow && !['succeeded', 'failed', 'cancelled'].includes(data.run.state)) {
          await followWithin(client, runId, opts.timeout, (following) => followRun(following, ctx.out, runId, { quiet: ctx.out.json }));
          data = await client.request<{ run: RunView; steps: StepView[] }>('GET', `/api/v1/runs/${runId}`);
        }
        if (ctx.out.json) {
          ctx.out.printJson(data);
        } else {
          ctx.out.out(runSummary(ctx.out, data.run));
          if (data.run.commitMessage) ctx.out.out(ctx.out.paint('dim', `  ${data.run.commitMessage}  (${data.run.author ?? 'unknown author'})`));
          for (const note of data.run.notes) ctx.out.out(ctx.out.paint('dim', `  note: ${note}`));
          for (const s of data.steps) ctx.out.out(stepLine(ctx.out, s));
          if (data.run.state === 'failed') printFailure(ctx.out, data.run);
        }
        return data.run.state === 'failed' || data.run.state === 'cancelled' ? 1 : 0;
      }),
    );
}
