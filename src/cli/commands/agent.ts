import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { UsageError as UsageErrorClass } from '../../errors/index.js';
import type { ServedRoute } from '../../targets/local/route-layout.js';
import type { Wrap } from '../program.js';
import { listenAddress, portNumber, runtimeKind } from './parse.js';

export function registerAgent(program: Command, wrap: Wrap): void {
  program
    .command('agent')
    .description('run the data plane for one target: revision processes and the routers users reach')
    .requiredOption('--target <name>', 'the target in gantry.yaml this agent serves')
    .option('-p, --port <port>', 'control API port (0: any free port)', portNumber, 0)
    .option('--token-file <file>', 'file holding the control API token (made when missing)')
    .option('--run-as <user>', 'as root: the unprivileged user revisions run as (the server passes its own --run-as)')
    .option('--revisions-dir <dir>', 'where revisions are unpacked (default: <data-dir>/revisions); the run-as user must reach it')
    .option('--listen <host:port>', 'a remote host: the control API listens here with TLS (needs --tls-cert and --tls-key; see docs/hosts.md)', listenAddress)
    .option('--tls-cert <file>', 'with --listen: the certificate `gantry hosts issue` wrote for this host (PEM)')
    .option('--tls-key <file>', 'with --listen: its private key (PEM)')
    .option('--route-host <address>', "the address the routes listen on (default 127.0.0.1): a remote host's own address")
    .option('--runtime <kind>', 'what runs the replicas: process (default) or docker (a container each, through the Docker engine; see docs/agent.md)', runtimeKind, 'process')
    .option('--docker-host <address>', 'with --runtime docker: the engine, unix:///path/docker.sock or tcp://host:port (default: DOCKER_HOST, else /var/run/docker.sock)')
    .action(
      wrap(async (ctx, flags: { target: string; port: number; tokenFile?: string; runAs?: string; revisionsDir?: string; listen?: { host: string; port: number }; tlsCert?: string; tlsKey?: string; routeHost?: string; runtime: 'process' | 'docker'; dockerHost?: string }) => {
        // Loaded only when the command runs (see program.ts): the agent is the heaviest part of Gantry.
        const [{ startAgentProcess }, { createLogger }, { resolveRunAs }, { loadConfigOrThrow }, { routeLayout }, { GantryError, UsageError }] = await Promise.all([
          import('../../agent/main.js'),
          import('../../kernel/logger.js'),
          import('../../secrets/run-as.js'),
          import('../../config/loader.js'),
          import('../../targets/local/route-layout.js'),
          import('../../errors/index.js'),
        ]);
        const runAs = flags.runAs === undefined ? null : resolveRunAs(flags.runAs);
        const tls = remoteTls(flags, UsageError);
        if (flags.dockerHost && flags.runtime !== 'docker') throw new UsageError('USAGE', '--docker-host goes with --runtime docker', { where: '--docker-host', hint: 'gantry agent --target <name> --runtime docker --docker-host unix:///var/run/docker.sock' });
        // Read here, not by the agent: the agent starts with the routes gantry.yaml gives its target, and
        // the control plane tells it any change (PUT /v1/routes); its state file keeps them across restarts.
        // A remote host usually has no gantry.yaml: its routes all come from the control plane.
        const routes = async (): Promise<ServedRoute[]> => {
          if (flags.listen && !existsSync(ctx.options.config)) return [];
          const config = await loadConfigOrThrow(ctx.options.config);
          if (!(flags.target in config.targets)) {
            throw new GantryError('CONFIG_UNKNOWN_TARGET', `gantry.yaml declares no target "${flags.target}"`, { hint: `Targets: ${Object.keys(config.targets).join(', ')}.` });
          }
          return routeLayout(config, flags.target);
        };
        const running = await startAgentProcess({
          routes: await routes(),
          ...(flags.listen ? { host: flags.listen.host, port: flags.listen.port } : {}),
          ...(tls ? { tls } : {}),
          ...(flags.routeHost ? { routeHost: flags.routeHost } : {}),
          targetName: flags.target,
          dataDir: ctx.options.dataDir,
          ...(flags.listen ? {} : { port: flags.port }),
          ...(flags.tokenFile ? { tokenFile: flags.tokenFile } : {}),
          ...(flags.revisionsDir ? { revisionsDir: flags.revisionsDir } : {}),
          runtime: flags.runtime,
          ...(flags.dockerHost ? { dockerHost: flags.dockerHost } : {}),
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

/** --listen takes TLS, and TLS only --listen: a control API off loopback is never plain HTTP. */
function remoteTls(flags: { listen?: unknown; tlsCert?: string; tlsKey?: string; port: number }, UsageError: typeof UsageErrorClass): { certFile: string; keyFile: string } | undefined {
  if (!flags.listen) {
    if (flags.tlsCert || flags.tlsKey) throw new UsageError('USAGE', '--tls-cert and --tls-key go with --listen', { hint: 'A remote agent: gantry agent --target <name> --listen <host:port> --tls-cert <file> --tls-key <file>.' });
    return undefined;
  }
  if (!flags.tlsCert || !flags.tlsKey) {
    throw new UsageError('USAGE', '--listen needs --tls-cert and --tls-key: a control API off loopback serves only TLS', { hint: '`gantry hosts issue <target> <host> --out <folder>` on the server writes both (agent.crt, agent.key).' });
  }
  for (const file of [flags.tlsCert, flags.tlsKey]) {
    if (!existsSync(file)) throw new UsageError('USAGE', `${file} does not exist`, { where: file === flags.tlsCert ? '--tls-cert' : '--tls-key', hint: 'Copy the files `gantry hosts issue` wrote for this host.' });
  }
  if (flags.port !== 0) throw new UsageError('USAGE', '--port and --listen both set the control API\'s port', { hint: 'Give the port in --listen <host:port>.' });
  return { certFile: flags.tlsCert, keyFile: flags.tlsKey };
}
