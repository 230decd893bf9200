import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { installPostReceiveHook, postReceiveHook } from '../../sources/git/hook.js';
import type { Wrap } from '../program.js';

export function registerHook(program: Command, wrap: Wrap): void {
  const hook = program.command('hook').description('git hooks that tell Gantry about pushes');
  hook
    .command('post-receive')
    .description('print the post-receive hook, or install it into a bare repository with --install')
    .option('--install <bare-repo>', 'write it to <bare-repo>/hooks/post-receive')
    .action(
      wrap(async (ctx, opts: { install?: string }) => {
        const client = ctx.client();
        const token = client.token ?? '';
        if (!opts.install) {
          ctx.out.out(postReceiveHook(client.baseUrl, token));
          return 0;
        }
        if (!existsSync(join(opts.install, 'hooks'))) {
          throw new UsageError('USAGE', `${opts.install} is not a bare git repository (it has no hooks folder)`, { hint: 'Pass the path of the bare repository that people push to.' });
        }
        const file = await installPostReceiveHook(opts.install, client.baseUrl, token);
        ctx.out.out(`installed ${file}: pushes now reach ${client.baseUrl} at once`);
        return 0;
      }),
    );
}
