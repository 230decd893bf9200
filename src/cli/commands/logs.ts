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

type LogsOptions = { follow?: boolean; revision?: string; tail?: string; lines?: string };

/** A run id is `42` or `#42`; anything else in that place names an environment. */
const isRunId = (text: string): boolean => /^#?\d+$/.test(text);

export function registerLogs(program: Command, wrap: Wrap): void {
  program
    .command('logs <run-or-env> [step-or-service]')
    .description("a run's logs, or one step's (by key, e.g. gate:nest-api:test); -f follows them live. With <env> <service> (or <env>/<service>) instead: what the service's live revision (or --revision N) wrote, read from its target (any kind); -f follows it, across deploys")
    .option('-f, --follow', 'stream new lines: until the run (or step) ends; for a service until Ctrl-C')
    .option('--revision <n>', 'with <env> <service>: this revision instead of the live one')
    .option('--tail <n>', 'with <env> <service>: how many of the last lines (default 100, at most 5000)')
    .option('--lines <n>', 'the same as --tail')
    .addHelpText('after', '\nThe first argument is a run id (42 or #42) or else an environment.\n\nExamples:\n  gantry logs 42                       run #42\n  gantry logs 42 gate:api:test -f      one step, followed\n  gantry logs production api --tail 50 the live revision of api in production\n  gantry logs dev api --follow         new lines as api writes them, until Ctrl-C\n  gantry logs dev/api --revision 3')
    .action(
      wrap(async (ctx, run: string, step: string | undefined, opts: LogsOptions) => {
        if (!isRunId(run)) return serviceLogs(ctx, run, step, opts);
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

interface LogsBody {
  environment: string;
  service: string;
  revision: number;
  lines: string[];
}

/** `gantry logs <env> <service>`: the last lines a revision wrote, as its target keeps them (secret values masked); with -f, then each new one. */
async function serviceLogs(ctx: CliContext, first: string, second: string | undefined, opts: LogsOptions): Promise<number> {
  const [environment, service, ...rest] = second === undefined ? first.split('/') : [first, second];
  if (!environment || !service || rest.length > 0 || environment.includes('/') || service.includes('/')) {
    throw new UsageError('USAGE', `"${[first, second].filter(Boolean).join(' ')}" is neither a run id nor <env> <service>`, { hint: 'For example: gantry logs 42, or gantry logs production api --tail 50.' });
  }
  const tail = opts.tail ?? opts.lines;
  if (tail !== undefined && !/^\d+$/.test(tail)) throw new UsageError('USAGE', `--tail "${tail}" is not a number of lines`, { hint: 'It must be a whole number from 1 to 5000.' });
  const query = new URLSearchParams();
  if (opts.revision !== undefined) query.set('revision', opts.revision);
  if (tail !== undefined) query.set('lines', tail);
  const path = `/api/v1/environments/${encodeURIComponent(environment)}/services/${encodeURIComponent(service)}/logs`;
  if (!opts.follow) {
    const body = await ctx.client().request<LogsBody>('GET', `${path}?${query.toString()}`);
    if (ctx.out.json) ctx.out.printJson(body);
    else {
      ctx.out.err(ctx.out.paint('dim', `${body.environment}/${body.service} r${body.revision}, last ${body.lines.length} lines`));
      body.lines.forEach((line) => ctx.out.out(line));
    }
    return 0;
  }
  query.set('follow', 'true');
  // Ends when the user stops it (Ctrl-C), or when the server stops.
  for await (const { event, data } of ctx.client().events(`${path}?${query.toString()}`)) {
    if (ctx.out.json) ctx.out.out(JSON.stringify({ event, ...(data as object) }));
    else if (event === 'lines') (data as { lines: string[] }).lines.forEach((line) => ctx.out.out(line));
    else if (event === 'revision' || event === 'notice') ctx.out.err(ctx.out.paint('cyan', (data as { message: string }).message));
    else if (event === 'end') ctx.out.err(ctx.out.paint('yellow', (data as { message: string }).message));
  }
  // Only the server ends a follow (it is stopping, or the connection broke): a script should know.
  return 1;
}
