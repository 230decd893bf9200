import type { Command } from 'commander';
import type { Wrap } from '../program.js';

export function registerValidate(program: Command, wrap: Wrap): void {
  program
    .command('validate')
    .description('check gantry.yaml: every error at once, with file:line:col and a hint')
    .action(
      wrap(async (ctx) => {
        // Loaded only when the command runs (see program.ts): zod and yaml are most of its start-up.
        const { validateFile } = await import('../../config/validate.js');
        const result = await validateFile(ctx.options.config, { output: ctx.options.output === 'text' ? 'text' : 'json', color: ctx.out.color });
        // -o yaml: the same document as -o json (output.ts).
        if (ctx.out.format === 'yaml') ctx.out.printJson(JSON.parse(result.text) as unknown);
        else if (result.exitCode === 0 || ctx.out.json) ctx.out.out(result.text);
        else ctx.out.err(result.text);
        return result.exitCode;
      }),
    );
}
