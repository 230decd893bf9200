import type { Command } from 'commander';
import type { Wrap } from '../program.js';

export function registerDoctor(program: Command, wrap: Wrap): void {
  program
    .command('doctor')
    .description('check this machine and setup: node, git, signing tools, key-file modes, gantry.yaml, server, token, agents, ports; a fix for each problem')
    .action(
      wrap(async (ctx) => {
        // Loaded only when the command runs (see program.ts): the config loader and the checks.
        const [{ runDoctor }, { MARK }, { credentialsFile }] = await Promise.all([import('../doctor/run-doctor.js'), import('../doctor/check.js'), import('../credentials.js')]);
        let connection;
        try {
          connection = ctx.connection();
        } catch (error: unknown) {
          connection = error instanceof Error ? error : new Error(String(error));
        }
        const checks = await runDoctor({ configFile: ctx.options.config, dataDir: ctx.options.dataDir, credentialsFile: credentialsFile(), connection });
        const failed = checks.some((c) => c.status === 'fail');
        if (ctx.out.json) {
          ctx.out.printJson({ ok: !failed, checks });
          return failed ? 1 : 0;
        }
        const style = { ok: 'green', warn: 'yellow', fail: 'red' } as const;
        const width = Math.max(...checks.map((c) => c.name.length));
        for (const c of checks) {
          ctx.out.out(`${ctx.out.paint(style[c.status], MARK[c.status])} ${c.name.padEnd(width)}  ${c.detail}`);
          if (c.fix) ctx.out.out(`  ${' '.repeat(width)}  fix: ${c.fix}`);
        }
        const count = (s: string): number => checks.filter((c) => c.status === s).length;
        ctx.out.out(failed ? `${count('fail')} problem(s) to fix${count('warn') ? `, ${count('warn')} to look at` : ''}` : `all good${count('warn') ? ` (${count('warn')} to look at)` : ''}`);
        return failed ? 1 : 0;
      }),
    );
}
