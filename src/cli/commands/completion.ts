import type { Command } from 'commander';
import type { Wrap } from '../program.js';

// Placeholder registration; the command is being built (issue 16).
export function registerCompletion(program: Command, wrap: Wrap): void {
  program
    .command('completion')
    .description('not built yet')
    .action(wrap(async (ctx) => {
      ctx.out.err('gantry completion: not built yet');
      return 1;
    }));
}
