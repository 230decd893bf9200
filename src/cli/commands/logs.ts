import type { Command } from 'commander';
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
    .description("a run's logs, or one step's (by key, e.g. gate:nest-api:test); -f follows them live")
    .option('-f, --follow', 'stream new lines until the run (or step) ends')
    .action(
      wrap(async (ctx, run: string, step: string | undefined, opts: { follow?: boolean }) => {
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
