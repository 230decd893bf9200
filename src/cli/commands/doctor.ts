import type { Command } from 'commander';
import type { Wrap } from '../program.js';

// Placeholder registration; the command is being built (issue 16).
export function registerDoctor(program: Command, wrap: Wrap): void {
  program
    .command('doctor')
    .description('not built yet')
    .action(wrap(async (ctx) => {
      ctx.out.err('gantry doctor: not built yet');
      return 1;
    }));
}
