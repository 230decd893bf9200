import { Option, type Command } from 'commander';
import type { Wrap } from '../program.js';

export function registerDemo(program: Command, wrap: Wrap): void {
  program
    .command('demo')
    .description('run the Volteryde example end to end in a scratch repository with a real server')
    .option('--keep', 'leave the server running afterwards and print how to reach it')
    .addOption(new Option('--target <kind>', 'local: plain processes (needs only Node and git); docker: images, a registry and containers (needs a Docker engine, or root with docker.io, and docker-registry)').choices(['local', 'docker']).default('local'))
    .action(
      wrap(async (ctx, opts: { keep?: boolean; target: 'local' | 'docker' }) => {
        if (opts.keep && opts.target === 'docker') {
          // The engine and the registry the container demo starts live in its scratch folder, which it removes.
          ctx.out.err('gantry demo: --keep works with --target local only\n  hint: run `npm run demo -- --keep` to keep a server running, or drop --keep.');
          return 2;
        }
        // Loaded only when the command runs (see program.ts): the demo starts a whole server.
        const { runDemo } = await import('../demo/demo.js');
        return runDemo({ keep: opts.keep ?? false, out: ctx.out, json: ctx.out.json, target: opts.target });
      }),
    );
}
