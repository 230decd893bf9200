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
        const [{ startAgentProcess }, { createLogger }, { resolveRunAs }] = await Promise.all([import('../../agent/main.js'), import('../../engine/logger.js'), import('../../secrets/run-as.js')]);
        const runAs = flags.runAs === undefined ? null : resolveRunAs(flags.runAs);
        const running = await startAgentProcess({
          configPath: ctx.options.config,
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
