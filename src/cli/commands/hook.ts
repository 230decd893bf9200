import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { installHooks, installPostReceiveHook, postReceiveHook } from '../../sources/git/hook.js';
import type { CliContext } from '../context.js';
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
        const addressFile = localAddressFile(ctx);
        if (!opts.install) {
          ctx.out.out(postReceiveHook(client.baseUrl, token, addressFile));
          return 0;
        }
        checkBareRepo(opts.install);
        const file = await installPostReceiveHook(opts.install, client.baseUrl, token, addressFile);
        ctx.out.out(`installed ${file}: pushes now reach ${addressFile ? `the server whose address ${addressFile} holds (now ${client.baseUrl})` : client.baseUrl} at once`);
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
        const files = await installHooks(bareRepo, client.baseUrl, client.token ?? '', localAddressFile(ctx));
        ctx.out.out(`installed ${files.join(' and ')}: pushes to ${bareRepo} are now checked by ${client.baseUrl} against gantry.yaml branch protection`);
        return 0;
      }),
    );
}

/**
 * The `server.json` a local server rewrites at every start, when the address came from it (no
 * --server, no GANTRY_SERVER): the hooks then read it at each push and follow a server restarted
 * on another port. An address given explicitly is used as given.
 */
function localAddressFile(ctx: CliContext): string | undefined {
  if (ctx.options.server !== undefined || process.env.GANTRY_SERVER !== undefined) return undefined;
  const file = resolve(ctx.options.dataDir, 'server.json');
  return existsSync(file) ? file : undefined;
}

function checkBareRepo(dir: string): void {
  if (!existsSync(join(dir, 'hooks'))) {
    throw new UsageError('USAGE', `${dir} is not a bare git repository (it has no hooks folder)`, { hint: 'Pass the path of the bare repository that people push to.' });
  }
}
