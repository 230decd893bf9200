import { Option, type Command } from 'commander';
import { formatDuration } from '../../config/duration.js';
import type { RunView } from '../../server/views.js';
import { stateLabel } from '../output.js';
import type { Wrap } from '../program.js';
import { printTable } from '../table.js';
import { wholeNumber } from './parse.js';

export function registerRuns(program: Command, wrap: Wrap): void {
  program
    .command('runs')
    .description('list recent runs, newest first')
    .addOption(new Option('--state <state>', 'only runs in this state').choices(['queued', 'running', 'succeeded', 'failed', 'cancelled']))
    .option('--branch <branch>', 'only runs of this branch')
    .option('--env <environment>', 'only runs that target this environment')
    .option('--limit <n>', 'how many (1 to 500)', wholeNumber(1, 500), 20)
    .action(
      wrap(async (ctx, opts: { state?: string; branch?: string; env?: string; limit: number }) => {
        const query = new URLSearchParams({ limit: String(opts.limit) });
        if (opts.state) query.set('state', opts.state);
        if (opts.branch) query.set('branch', opts.branch);
        if (opts.env) query.set('environment', opts.env);
        const { runs } = await ctx.client().request<{ runs: RunView[] }>('GET', `/api/v1/runs?${query.toString()}`);
        if (ctx.out.json) {
          ctx.out.printJson({ runs });
          return 0;
        }
        if (runs.length === 0) {
          // A filter that matches nothing is not an empty server: say which filter, so nobody waits for runs that exist.
          const filters = [opts.state && `state=${opts.state}`, opts.branch && `branch=${opts.branch}`, opts.env && `env=${opts.env}`].filter(Boolean);
          ctx.out.out(filters.length > 0 ? `no runs match ${filters.join(' ')}` : 'no runs yet: push a branch, or `gantry dispatch <environment>`');
        }
        else {
          const rows = runs.map((r) => [`#${r.id}`, stateLabel(ctx.out, r.state), r.trigger, r.ref ?? '', r.sha.slice(0, 7), r.environment ?? '-', r.createdAt ? r.createdAt.replace('T', ' ').slice(0, 19) : '', r.durationMs === null ? '' : formatDuration(r.durationMs)]);
          printTable(ctx, ['RUN', 'STATE', 'TRIGGER', 'REF', 'SHA', 'ENV', 'CREATED', 'DURATION'], rows);
        }
        return 0;
      }),
    );
}
