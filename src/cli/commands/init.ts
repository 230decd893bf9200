import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { GantryError, UsageError } from '../../errors/index.js';
import type { Wrap } from '../program.js';

export function registerInit(program: Command, wrap: Wrap): void {
  program
    .command('init [folder]')
    .description('detect services (package.json, pom.xml, build.gradle, pyproject.toml, go.mod, Dockerfile) and write a commented starter gantry.yaml')
    .option('--force', 'overwrite an existing gantry.yaml')
    .option('--stdout', 'print the file instead of writing it')
    .action(
      wrap(async (ctx, folder: string | undefined, opts: { force?: boolean; stdout?: boolean }) => {
        const root = resolve(folder ?? '.');
        const kind = existsSync(root) ? (statSync(root).isDirectory() ? 'folder' : 'file') : 'absent';
        if (kind !== 'folder') {
          throw new UsageError('USAGE', `${root} ${kind === 'file' ? 'is a file, not a folder' : 'does not exist'}`, { hint: 'Pass the folder of the repository to describe (default: the current folder).' });
        }
        // Loaded only when the command runs (see program.ts): one recogniser per ecosystem.
        const [{ detectServices }, { starterConfig }] = await Promise.all([import('../../config/init/detect.js'), import('../../config/init/starter.js')]);
        const services = await detectServices(root);
        const text = starterConfig({ projectName: basename(root), services });
        if (opts.stdout) {
          ctx.out.out(text);
          return 0;
        }
        const file = resolve(root, 'gantry.yaml');
        if (existsSync(file) && !opts.force) {
          throw new UsageError('USAGE', `${file} already exists`, { hint: 'Pass --force to overwrite it, or --stdout to print the starter instead.' });
        }
        await writeFile(file, text).catch((cause: unknown) => {
          const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : '';
          throw new GantryError('INIT_WRITE_FAILED', `cannot write ${file}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : cause instanceof Error ? cause.message : String(cause)}`, {
            cause,
            hint: 'Run it in a folder you may write to, or pass --stdout and redirect the text where you want it.',
          });
        });
        if (ctx.out.json) ctx.out.printJson({ file, services: services.map((s) => ({ name: s.name, path: s.path, kind: s.kind, framework: s.framework ?? null, deploys: s.run !== undefined })) });
        else {
          ctx.out.out(`wrote ${file} with ${services.length} service(s):`);
          for (const s of services) ctx.out.out(`  ${s.name.padEnd(20)} ${(s.framework ?? s.kind).padEnd(18)} ${s.path.padEnd(28)} ${s.run === undefined ? 'CI only' : 'deploys'}`);
          ctx.out.out('next: read it, adjust the commands and ports, then `gantry validate`');
        }
        return 0;
      }),
    );
}
