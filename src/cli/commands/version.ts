import type { Command } from 'commander';
import { VERSION } from '../../server/version.js';
import type { Wrap } from '../program.js';

export function registerVersion(program: Command, wrap: Wrap): void {
  program
    .command('version')
    .description("this CLI's version and the server's, with the server's address; an unreachable server is said, not an error")
    .action(
      wrap(async (ctx) => {
        const { probeServer } = await import('../doctor/server-probe.js');
        const { server, serverFrom } = ctx.connection();
        const probe = await probeServer(server);
        // Exit 0 either way: the client's version is known, and asking for it must work offline.
        if (ctx.out.json) {
          ctx.out.printJson({ client: VERSION, node: process.versions.node, address: server, server: probe.ok ? probe.version : null, error: probe.ok ? null : probe.error });
          return 0;
        }
        ctx.out.out(`client  ${VERSION} (node ${process.versions.node})`);
        ctx.out.out(probe.ok ? `server  ${probe.version} at ${server} (${serverFrom})` : `server  ${server} (${serverFrom}) ${probe.error}`);
        if (probe.ok && probe.version !== VERSION) ctx.out.out(ctx.out.paint('yellow', '  note: client and server versions differ'));
        return 0;
      }),
    );
}
