import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { UsageError } from '../../errors/index.js';
import type { Wrap } from '../program.js';
import { parseRunId } from './parse.js';

interface LineView {
  id: number;
  step: string | null;
  stream: string;
  text: string;
  at: string;
}

export function registerLogs(program: Command, wrap: Wrap): void {
  program
    .command('logs <run> [step]')
    .description("a run's logs, or one step's (by key, e.g. gate:nest-api:test); -f follows them live. With <env>/<service> instead of a run: what the service's live revision (or --revision N) wrote, from its target")
    .option('-f, --follow', 'stream new lines until the run (or step) ends')
    .option('--revision <n>', 'with <env>/<service>: this revision instead of the live one')
    .option('--lines <n>', 'with <env>/<service>: how many of the last lines (default 100)')
    .action(
      wrap(async (ctx, run: string, step: string | undefined, opts: { follow?: boolean; revision?: string; lines?: string }) => {
        if (run.includes('/')) return serviceLogs(ctx, run, opts);
        const runId = parseRunId(run);
        const query = new URLSearchParams();
        if (step) query.set('step', step);
        const client = ctx.client();
        const print = (l: LineView): void => {
          if (ctx.out.json) ctx.out.out(JSON.stringify(l));
          else ctx.out.out(`${ctx.out.paint('dim', `[${l.step ?? '?'}]`)} ${l.stream === 'system' ? ctx.out.paint('cyan', l.text) : l.text}`);
        };
        if (!opts.follow) {
          const { lines } = await client.request<{ lines: LineView[] }>('GET', `/api/v1/runs/${runId}/logs?${query.toString()}`);
          if (ctx.out.json) ctx.out.printJson({ lines });
          else lines.forEach(print);
          return 0;
        }
        query.set('follow', 'true');
        for await (const { event, data } of client.events(`/api/v1/runs/${runId}/logs?${query.toString()}`)) {
          if (event === 'log') print(data as LineView);
        }
        return 0;
      }),
    );
}

/** `gantry logs <env>/<service>`: the last lines a revision wrote, as its target keeps them (secret values masked). */
async function serviceLogs(ctx: CliContext, name: string, opts: { follow?: boolean; revision?: string; lines?: string }): Promise<number> {
  const [environment, service, ...rest] = name.split('/');
  if (!environment || !service || rest.length > 0) throw new UsageError('USAGE', `"${name}" is neither a run id nor <env>/<service>`, { hint: 'For example: gantry logs 42, or gantry logs production/nest-api --lines 50.' });
  if (opts.follow) throw new UsageError('USAGE', "--follow follows a run's logs; a service's output is read once", { hint: 'Drop --follow, and use --lines N for more.' });
  const query = new URLSearchParams();
  if (opts.revision !== undefined) query.set('revision', opts.revision);
  if (opts.lines !== undefined) query.set('lines', opts.lines);
  const body = await ctx.client().request<{ environment: string; service: string; revision: number; lines: string[] }>('GET', `/api/v1/environments/${encodeURIComponent(environment)}/services/${encodeURIComponent(service)}/logs?${query.toString()}`);
  if (ctx.out.json) ctx.out.printJson(body);
  else {
    ctx.out.err(ctx.out.paint('dim', `${body.environment}/${body.service} r${body.revision}, last ${body.lines.length} lines`));
    body.lines.forEach((line) => ctx.out.out(line));
  }
  return 0;
}
