import type { Command } from 'commander';
import type { Wrap } from '../program.js';

export function registerDemo(program: Command, wrap: Wrap): void {
  program
    .command('demo')
    .description('run the Volteryde example end to end in a scratch repository with a real server')
    .option('--keep', 'leave the server running afterwards and print how to reach it')
    .action(
      wrap(async (ctx, opts: { keep?: boolean }) => {
        // Loaded only when the command runs (see program.ts): the demo starts a whole server.
        const { runDemo } = await import('../demo/demo.js');
        return runDemo({ keep: opts.keep ?? false, out: ctx.out, json: ctx.out.json });
      }),
    );
}
