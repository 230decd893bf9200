import { Command, Option } from 'commander';
import { VERSION } from '../server/version.js';
import { createContext, DEFAULT_DATA_DIR, type CliContext, type GlobalOptions } from './context.js';
import type { OptionSource } from './discovery.js';
import { registerAgent } from './commands/agent.js';
import { registerApprovals } from './commands/approvals.js';
import { registerAudit } from './commands/audit.js';
import { registerBackup } from './commands/backup.js';
import { registerConfig } from './commands/config.js';
import { registerHistory } from './commands/history.js';
import { registerToken } from './commands/token.js';
import { registerCancel } from './commands/cancel.js';
import { registerCanary } from './commands/canary.js';
import { registerDemo } from './commands/demo.js';
import { registerDispatch } from './commands/dispatch.js';
import { registerDora } from './commands/dora.js';
import { registerExport } from './commands/export.js';
import { registerGithub } from './commands/github.js';
import { registerHook } from './commands/hook.js';
import { registerHosts } from './commands/hosts.js';
import { registerInit } from './commands/init.js';
import { registerLogs } from './commands/logs.js';
import { registerRun } from './commands/run.js';
import { registerRuns } from './commands/runs.js';
import { registerSecrets } from './commands/secrets.js';
import { registerServer } from './commands/server.js';
import { registerStatus } from './commands/status.js';
import { registerValidate } from './commands/validate.js';
import { registerCompletion } from './commands/completion.js';
import { registerDoctor } from './commands/doctor.js';
import { registerLogin } from './commands/login.js';
import { registerVersion } from './commands/version.js';

/** A command's action: returns the process exit code (0 ok, 1 failed run or invalid input). */
export type Action<A extends unknown[]> = (ctx: CliContext, ...args: A) => Promise<number>;

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('gantry')
    .description('Gantry: continuous delivery from a branch to production, safely.')
    .version(VERSION, '-v, --version')
    .addOption(new Option('-c, --config <file>', 'the gantry.yaml to use').default('gantry.yaml').env('GANTRY_CONFIG'))
    .addOption(new Option('--server <url>', 'Gantry server URL').env('GANTRY_SERVER'))
    .addOption(new Option('--token <token>', 'API token').env('GANTRY_TOKEN'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml']).default('text'))
    .addOption(new Option('--no-headers', 'list tables without their header row'))
    .addOption(new Option('-y, --yes', 'answer yes to confirmations'))
    .addOption(new Option('--data-dir <dir>', 'the server data folder').default(DEFAULT_DATA_DIR).env('GANTRY_DATA_DIR'))
    .showHelpAfterError('(run with --help for usage)')
    // Before the subcommands are added, so they inherit it: usage errors become exit code 2, not 1.
    .exitOverride();

  // Whether --config and --data-dir were given or are commander's defaults: a default is looked for up the repository (discovery.ts).
  const ctx = (): CliContext =>
    createContext({ ...program.opts<GlobalOptions>(), configSource: program.getOptionValueSource('config') as OptionSource, dataDirSource: program.getOptionValueSource('dataDir') as OptionSource });
  const wrap =
    <A extends unknown[]>(action: Action<A>) =>
    async (...args: A): Promise<void> => {
      setExitCode(await action(ctx(), ...args));
    };

  // Registering is cheap: a command file imports only what its name, options and help need, and its
  // action loads the code that does the work with import(), so `gantry --help` never pays for the
  // server, the agent or the config checker (test/integration/cli-lazy-loading.test.ts holds this;
  // bench/cli-startup.ts measures it).
  registerInit(program, wrap);
  registerValidate(program, wrap);
  registerServer(program, wrap);
  registerAgent(program, wrap);
  registerRuns(program, wrap);
  registerRun(program, wrap);
  registerLogs(program, wrap);
  registerDispatch(program, wrap);
  registerCancel(program, wrap);
  registerCanary(program, wrap);
  registerApprovals(program, wrap);
  registerHistory(program, wrap);
  registerStatus(program, wrap);
  registerBackup(program, wrap);
  registerDora(program, wrap);
  registerToken(program, wrap);
  registerSecrets(program, wrap);
  registerAudit(program, wrap);
  registerConfig(program, wrap);
  registerHook(program, wrap);
  registerHosts(program, wrap);
  registerGithub(program, wrap);
  registerExport(program, wrap);
  registerDemo(program, wrap);
  registerLogin(program, wrap);
  registerVersion(program, wrap);
  registerDoctor(program, wrap);
  registerCompletion(program, wrap);
  return program;
}

export type Wrap = <A extends unknown[]>(action: Action<A>) => (...args: A) => Promise<void>;
