import type { Command } from 'commander';
import type { Wrap } from '../program.js';
import { portNumber } from './parse.js';

export function registerAgent(program: Command, wrap: Wrap): void {
  program
    .command('agent')
    .description('run the data plane for one target: revision processes and the routers users reach')
    .requiredOption('--target <name>', 'the target in gantry.yaml this agent serves')
    .option('-p, --port <port>', 'control API port (0: any free port)', portNumber, 0)
    .option('--token-file <file>', 'file holding the control API token (made when missing)')
    .option('--run-as <user>', 'as root: the unprivileged user revisions run as (the server passes its own --run-as)')
    .option('--revisions-dir <dir>', 'where revisions are unpacked (default: <data-dir>/revisions); the run-as user must reach it')
    .action(
      wrap(async (ctx, flags: { target: string; port: number; tokenFile?: string; runAs?: string; revisionsDir?: string }) => {
        // Loaded only when the command runs (see program.ts): the agent is the heaviest part of Gantry.
        const [{ startAgentProcess }, { createLogger }, { resolveRunAs }, { loadConfigOrThrow }, { routeLayout }, { GantryError }] = await Promise.all([
          import('../../agent/main.js'),
          import('../../kernel/logger.js'),
          import('../../secrets/run-as.js'),
          import('../../config/loader.js'),
          import('../../targets/local/route-layout.js'),
          import('../../errors/index.js'),
        ]);
        const runAs = flags.runAs === undefined ? null : resolveRunAs(flags.runAs);
        // Read here, not by the agent: the agent starts with the routes gantry.yaml gives its target, and
        // the control plane tells it any change (PUT /v1/routes); its state file keeps them across restarts.
        const config = await loadConfigOrThrow(ctx.options.config);
        if (!(flags.target in config.targets)) {
          throw new GantryError('CONFIG_UNKNOWN_TARGET', `gantry.yaml declares no target "${flags.target}"`, { hint: `Targets: ${Object.keys(config.targets).join(', ')}.` });
        }
        const running = await startAgentProcess({
          routes: routeLayout(config, flags.target),
          targetName: flags.target,
          dataDir: ctx.options.dataDir,
          port: flags.port,
          ...(flags.tokenFile ? { tokenFile: flags.tokenFile } : {}),
          ...(flags.revisionsDir ? { revisionsDir: flags.revisionsDir } : {}),
          runAs,
          logger: createLogger(),
        });
        ctx.out.out(`Gantry agent for target ${flags.target} listening on ${running.url}`);
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void running.close().then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        return 0;
      }),
    );
}
