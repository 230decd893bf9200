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
    .action(
      wrap(async (ctx, flags: { target: string; port: number; tokenFile?: string }) => {
        // Loaded only when the command runs (see program.ts): the agent is the heaviest part of Gantry.
        const [{ startAgentProcess }, { createLogger }] = await Promise.all([import('../../agent/main.js'), import('../../engine/logger.js')]);
        const running = await startAgentProcess({
          configPath: ctx.options.config,
          targetName: flags.target,
          dataDir: ctx.options.dataDir,
          port: flags.port,
          ...(flags.tokenFile ? { tokenFile: flags.tokenFile } : {}),
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
