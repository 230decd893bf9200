import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { installHooks, installPostReceiveHook, postReceiveHook } from '../../sources/git/hook.js';
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
        checkBareRepo(opts.install);
        const file = await installPostReceiveHook(opts.install, client.baseUrl, token);
        ctx.out.out(`installed ${file}: pushes now reach ${client.baseUrl} at once`);
        return 0;
      }),
    );
  hook
    .command('install')
    .description('install the pre-receive hook (branch protection: direct and force pushes, up to date, required checks, signed commits) and the post-receive hook into a bare repository')
    .argument('<bare-repo>', 'the bare repository that people push to')
    .action(
      wrap(async (ctx, bareRepo: string) => {
        checkBareRepo(bareRepo);
        const client = ctx.client();
        const files = await installHooks(bareRepo, client.baseUrl, client.token ?? '');
        ctx.out.out(`installed ${files.join(' and ')}: pushes to ${bareRepo} are now checked by ${client.baseUrl} against gantry.yaml branch protection`);
        return 0;
      }),
    );
}

function checkBareRepo(dir: string): void {
  if (!existsSync(join(dir, 'hooks'))) {
    throw new UsageError('USAGE', `${dir} is not a bare git repository (it has no hooks folder)`, { hint: 'Pass the path of the bare repository that people push to.' });
  }
}
