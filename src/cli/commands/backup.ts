import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { GantryError, UsageError } from '../../errors/index.js';
import type { RunView } from '../../server/views.js';
import { watchStartedRun } from '../follow.js';
import { followWithin, timeoutMs, TIMEOUT_FLAG } from '../follow-timeout.js';
import type { Wrap } from '../program.js';
import { printTable } from '../table.js';

interface BackupView {
  id: number;
  environment: string;
  runId: number | null;
  reason: string;
  services: Array<{ service: string; revision: number; release: string; digest: string; weights: Record<string, number> }>;
  /** The target's own objects, kind/name (a kubernetes target); null for local and docker targets. */
  resources: { format: string; objects: string[] } | null;
  createdAt: string;
  expiresAt: string;
}

const parseId = (text: string): number => {
  const id = Number(text.replace(/^#/, ''));
  if (!Number.isInteger(id) || id <= 0) throw new UsageError('USAGE', `"${text}" is not a backup id`, { hint: 'Backup ids are listed by `gantry backup list`.' });
  return id;
};

export function registerBackup(program: Command, wrap: Wrap): void {
  const backup = program.command('backup').description('snapshots of what an environment runs, taken before risky deployments');
  backup
    .command('list')
    .option('--env <environment>', 'only this environment')
    .description('backups that are still kept')
    .action(
      wrap(async (ctx, opts: { env?: string }) => {
        const { backups } = await ctx.client().request<{ backups: BackupView[] }>('GET', `/api/v1/backups${opts.env ? `?environment=${encodeURIComponent(opts.env)}` : ''}`);
        if (ctx.out.json) ctx.out.printJson({ backups });
        else if (backups.length === 0) ctx.out.out('no backups');
        else {
          const rows = backups.map((b) => [`#${b.id}`, b.environment, b.createdAt.replace('T', ' ').slice(0, 19), b.services.map((s) => `${s.service}@r${s.revision}`).join(' ') || '(empty)', b.expiresAt.slice(0, 10)]);
          printTable(ctx, ['BACKUP', 'ENV', 'TAKEN', 'SERVICES', 'KEPT UNTIL'], rows);
        }
        return 0;
      }),
    );
  backup
    .command('show <id>')
    .description('what a backup holds, service by service')
    .action(
      wrap(async (ctx, id: string) => {
        const { backup: b } = await ctx.client().request<{ backup: BackupView }>('GET', `/api/v1/backups/${parseId(id)}`);
        if (ctx.out.json) {
          ctx.out.printJson({ backup: b });
          return 0;
        }
        ctx.out.out(`backup #${b.id} of ${b.environment}, ${b.reason}; taken ${b.createdAt}, kept until ${b.expiresAt}`);
        for (const s of b.services) ctx.out.out(`  ${s.service.padEnd(18)} r${String(s.revision).padEnd(4)} ${s.release.slice(0, 7)}  ${s.digest.slice(0, 19)}  weights ${JSON.stringify(s.weights)}`);
        if (b.resources) {
          ctx.out.out(`objects (${b.resources.objects.length}, export with \`gantry backup export ${b.id}\`):`);
          for (const o of b.resources.objects) ctx.out.out(`  ${o}`);
        }
        return 0;
      }),
    );
  backup
    .command('export <id>')
    .description('write the target objects a backup holds as YAML `kubectl apply -f` accepts (Secrets by name and version only)')
    // -o is every command's output format; -f names the file, as kubectl apply -f reads it.
    .option('-f, --file <path>', 'write to this file instead of stdout')
    .action(
      wrap(async (ctx, id: string, opts: { file?: string }) => {
        const backupId = parseId(id);
        const yaml = await ctx.client().text(`/api/v1/backups/${backupId}/export`);
        if (opts.file === undefined) {
          if (ctx.out.json) ctx.out.printJson({ backupId, yaml });
          else process.stdout.write(yaml);
          return 0;
        }
        const file = opts.file;
        await writeFile(file, yaml).catch((cause: unknown) => {
          throw new GantryError('USAGE', `cannot write ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, hint: 'Name a file in a folder you may write to, or leave out --file to print the YAML.' });
        });
        const documents = yaml.split(/^---$/m).filter((d) => d.trim() !== '').length;
        if (ctx.out.json) ctx.out.printJson({ backupId, file, documents });
        else ctx.out.out(`wrote ${documents} object(s) of backup #${backupId} to ${file}`);
        return 0;
      }),
    );
  backup
    .command('restore <id>')
    .description('deploy exactly what a backup recorded, with the environment\'s strategy (audited)')
    .option('--reason <text>', 'why (recorded)')
    .option('--detach', 'return without watching the run')
    .option(...TIMEOUT_FLAG, timeoutMs)
    .action(
      wrap(async (ctx, id: string, opts: { reason?: string; detach?: boolean; timeout?: number }) => {
        const backupId = parseId(id);
        const client = ctx.client();
        if (!ctx.options.yes) {
          if (!process.stdin.isTTY || process.env.CI === 'true') throw new UsageError('USAGE', 'restoring a backup needs confirmation', { hint: 'Pass --yes (global flag) to confirm off a terminal.' });
          const { backup: b } = await client.request<{ backup: BackupView }>('GET', `/api/v1/backups/${backupId}`);
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          const answer = await rl.question(`Restore ${b.environment} to backup #${b.id} (${b.services.map((s) => `${s.service}@r${s.revision}`).join(', ')})? [y/N] `);
          rl.close();
          if (!/^y(es)?$/i.test(answer.trim())) return 1;
        }
        const { run } = await client.request<{ run: RunView }>('POST', `/api/v1/backups/${backupId}/restore`, opts.reason ? { reason: opts.reason } : {});
        if (!ctx.out.json) ctx.out.out(`run #${run.id}: ${run.notes[0] ?? 'restore'}`);
        return followWithin(client, run.id, opts.timeout, (following) => watchStartedRun(following, ctx.out, run, opts.detach ?? false));
      }),
    );
}
