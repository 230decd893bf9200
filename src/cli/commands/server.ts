import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { keepRunningWithoutOutput } from '../closed-output.js';
import { checkDataDir, dataDirFailure } from '../data-dir-check.js';
import { checkCanListen } from '../listen-check.js';
import type { Wrap } from '../program.js';
import { durationMs, portNumber, wholeNumber } from './parse.js';

interface ServerFlags {
  port: number;
  host: string;
  poll?: number;
  leaseMs?: number;
  publicUrl?: string;
  runAs?: string;
  workDir?: string;
  agentWatch?: number;
  database?: string;
  sharedDir?: string;
  logLevel: string;
  trustProxy?: boolean | string | number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * `--trust-proxy` alone trusts the nearest proxy (one hop); a number is that many hops; anything
 * else is a comma-separated list of addresses or CIDRs, as Fastify's `trustProxy` takes them.
 */
function trustProxy(value: string): boolean | string | number {
  if (value === 'true') return 1;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  if (/^[0-9a-fA-F.:/,\s]+$/.test(value)) return value.split(',').map((s) => s.trim()).filter(Boolean).join(',');
  throw new UsageError('USAGE', `--trust-proxy ${JSON.stringify(value)} is not a number of hops nor a list of addresses`, { hint: 'For example --trust-proxy (the nearest proxy), --trust-proxy 2, or --trust-proxy 10.0.0.5,127.0.0.1' });
}

/** A postgres:// URL, or a usage error naming the flag (and never echoing a password). */
function databaseUrl(value: string): string {
  if (/^postgres(ql)?:\/\/[^/]/i.test(value)) return value;
  throw new UsageError('USAGE', '--database must be a postgres:// URL', { hint: 'For example --database postgres://gantry:PASSWORD@db.internal:5432/gantry; without --database the server keeps SQLite in its data folder.' });
}

/** An http(s) URL, or a usage error naming the flag. */
function publicUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new UsageError('USAGE', `--public-url ${JSON.stringify(value)} is not an http(s) URL`, { hint: 'For example --public-url https://gantry.example.com' });
  return value.replace(/\/+$/, '');
}

export function registerServer(program: Command, wrap: Wrap): void {
  program
    .command('server')
    .description('run the control plane: watch the repository, run pipelines, serve the API')
    .addOption(new Option('-p, --port <port>', 'port to listen on (0: any free port)').env('GANTRY_PORT').argParser(portNumber).default(7400))
    .addOption(new Option('--host <host>', 'address to bind (only loopback unless you say otherwise)').env('GANTRY_HOST').default('127.0.0.1'))
    .addOption(new Option('--log-level <level>', 'the server log\'s level').choices(LOG_LEVELS).env('GANTRY_LOG_LEVEL').default('info'))
    .addOption(new Option('--trust-proxy [proxies]', 'behind a reverse proxy: believe its X-Forwarded-For for the client address (alone: the nearest proxy; N: that many hops; or a list of addresses/CIDRs)').env('GANTRY_TRUST_PROXY').argParser(trustProxy))
    .option('--poll <duration>', "override the repository's poll interval (e.g. 5s)", durationMs)
    .addOption(new Option('--public-url <url>', 'the URL people reach the server at, for links in GitHub statuses and notifications (default: the listen address)').env('GANTRY_PUBLIC_URL'))
    .addOption(new Option('--run-as <user>', 'as root: the unprivileged user gates, builds and checks run as (default: nobody), so they cannot read the data folder').env('GANTRY_RUN_AS'))
    .addOption(new Option('--work-dir <dir>', 'where gates and builds get their worktrees, outside the data folder (default: gantry-work-<hash> in the temporary directory)').env('GANTRY_WORK_DIR'))
    .addOption(new Option('--agent-watch <duration>', 'how often every started local agent is checked, and a gone one started again (default 2s)').env('GANTRY_AGENT_WATCH').argParser(durationMs))
    .addOption(new Option('--database <url>', 'a PostgreSQL database several servers share (postgres://user:password@host:5432/db); default: SQLite in the data folder').env('GANTRY_DATABASE_URL').argParser(databaseUrl))
    .addOption(new Option('--shared-dir <dir>', 'with several servers on one database: the folder they all share (artifacts, local agents, PKI, master key); default: the data folder').env('GANTRY_SHARED_DIR'))
    .addOption(new Option('--lease-ms <ms>', 'step lease length in milliseconds').env('GANTRY_LEASE_MS').argParser(wholeNumber(100, 86_400_000)).hideHelp())
    .action(
      wrap(async (ctx, flags: ServerFlags) => {
        // Every flag is checked, and the address tried, before the server makes its data folder and admin token.
        const url = flags.publicUrl === undefined ? undefined : publicUrl(flags.publicUrl);
        await checkCanListen(flags.host, flags.port);
        checkDataDir(ctx.options.dataDir);
        keepRunningWithoutOutput();
        // Loaded only when the command runs (see program.ts): fastify, SQLite and the engine are most of Gantry.
        const [{ startServer }, { createLogger }, { stopLeftoverRevisions }, { redactDatabaseUrl }] = await Promise.all([import('../../server/gantry-server.js'), import('../../kernel/logger.js'), import('../../agent/leftover-revisions.js'), import('../../store/database-url.js')]);
        const logger = createLogger(flags.logLevel);
        const server = await startServer({
          configPath: ctx.options.config,
          dataDir: ctx.options.dataDir,
          host: flags.host,
          port: flags.port,
          logger,
          ...(flags.poll ? { sourcePollMs: flags.poll } : {}),
          ...(flags.leaseMs ? { leaseMs: flags.leaseMs } : {}),
          ...(url ? { publicUrl: url } : {}),
          ...(flags.runAs ? { runAs: flags.runAs } : {}),
          ...(flags.workDir ? { workDir: flags.workDir } : {}),
          ...(flags.agentWatch ? { agentWatchMs: flags.agentWatch } : {}),
          ...(flags.database ? { database: flags.database } : {}),
          ...(flags.sharedDir ? { sharedDir: resolve(flags.sharedDir) } : {}),
          // `--trust-proxy` with no value arrives as true: the nearest proxy.
          ...(flags.trustProxy !== undefined && flags.trustProxy !== false ? { trustProxy: flags.trustProxy === true ? 1 : flags.trustProxy } : {}),
          stopLeftovers: stopLeftoverRevisions,
          onBootstrapToken: (token, file) => {
            ctx.out.out(`First start: an admin token was made and saved to ${file} (mode 0600).`);
            ctx.out.out(`It is shown this once: ${token}`);
          },
        }).catch((error: unknown) => {
          throw dataDirFailure(error, ctx.options.dataDir);
        });
        const store = flags.database ? `store ${redactDatabaseUrl(flags.database)}` : 'SQLite store';
        ctx.out.out(`Gantry server listening on ${server.url} (data in ${ctx.options.dataDir}, ${store}, project ${server.config.project.name})`);
        ctx.out.out(`Dashboard: ${server.url}/ (sign in with an API token)`);
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            ctx.out.out('stopping: running steps are handed back and will resume at the next start');
            void server.close().then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        return 0;
      }),
    );
}
