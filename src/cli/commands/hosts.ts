import type { Command } from 'commander';
import type { Wrap } from '../program.js';
import { printTable } from '../table.js';

/** `gantry hosts`: the certificates and tokens of a docker target's remote agents (docs/hosts.md). */
export function registerHosts(program: Command, wrap: Wrap): void {
  const hosts = program.command('hosts').description("the remote hosts of docker targets: their agents' TLS certificates and tokens");
  hosts
    .command('issue <target> <host>')
    .description("issue the host's agent certificate (signed by this Gantry's CA, pinned) and a fresh token, stored as the host's tokenSecret; writes the files to copy to the host")
    .requiredOption('--out <folder>', 'where to write agent.crt, agent.key, ca.crt and agent.token (mode 0600)')
    .option('--remote-dir <dir>', 'where the files will be on the host, for the printed command', '/etc/gantry-agent')
    .action(
      wrap(async (ctx, target: string, host: string, flags: { out: string; remoteDir: string }) => {
        const [{ loadConfigOrThrow }, { issueHost }] = await Promise.all([import('../../config/loader.js'), import('../../targets/remote/issue-host.js')]);
        const config = await loadConfigOrThrow(ctx.options.config);
        const issued = await issueHost({
          config,
          dataDir: ctx.options.dataDir,
          target,
          host,
          out: flags.out,
          remoteDir: flags.remoteDir,
          // The server's secret store, as `gantry secrets set shared <name>` would: the token never passes through argv.
          storeToken: async (name, token) => void (await ctx.client().request('PUT', `/api/v1/secrets/shared/${encodeURIComponent(name)}`, { value: token })),
        });
        if (ctx.out.json) {
          ctx.out.printJson({ pin: issued.pin, tokenSecret: issued.tokenSecret, folder: issued.folder, files: issued.files, command: issued.command });
          return 0;
        }
        ctx.out.out(`issued the agent certificate of ${target}/${host} (${issued.pin.address}), valid until ${issued.pin.notAfter}`);
        ctx.out.out(`pinned SHA-256 ${issued.pin.fingerprint}; the token is stored as the secret shared/${issued.tokenSecret}`);
        ctx.out.out(`copy ${issued.files.join(', ')} from ${issued.folder} to ${flags.remoteDir} on ${host} (keep them 0600), then run there:`);
        ctx.out.out(`  ${issued.command}`);
        return 0;
      }),
    );
  hosts
    .command('list')
    .description('the hosts of every docker target, with the certificate issued for each (fingerprint, expiry)')
    .action(
      wrap(async (ctx) => {
        const [{ loadConfigOrThrow }, { readPins }] = await Promise.all([import('../../config/loader.js'), import('../../targets/remote/pki/agent-pins.js')]);
        const config = await loadConfigOrThrow(ctx.options.config);
        const pins = await readPins(ctx.options.dataDir);
        const rows = Object.values(config.targets).flatMap((t) =>
          t.kind === 'docker' ? t.hosts.map((h) => ({ target: t.name, host: h.name, address: h.address, tokenSecret: h.tokenSecret, pin: pins[`${t.name}/${h.name}`] ?? null })) : [],
        );
        if (ctx.out.json) ctx.out.printJson({ hosts: rows });
        else if (rows.length === 0) ctx.out.out('no docker target lists hosts in gantry.yaml');
        else printTable(ctx, ['HOST', 'ADDRESS', 'CERTIFICATE'], rows.map((r) => [`${r.target}/${r.host}`, r.address, r.pin ? `${r.pin.fingerprint.slice(0, 23)}… until ${r.pin.notAfter}` : 'not issued: run `gantry hosts issue`']));
        return 0;
      }),
    );
}
