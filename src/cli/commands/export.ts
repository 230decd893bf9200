import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import type { Wrap } from '../program.js';

export const DEFAULT_WORKFLOWS_DIR = '.github/workflows';
export const DEFAULT_MANIFESTS_DIR = 'deploy/gantry';

interface ManifestOptions {
  env?: string;
  out: string;
  release?: string;
}

function report(ctx: CliContext, what: string, written: readonly string[], notes: readonly string[] = []): void {
  if (ctx.out.json) {
    ctx.out.printJson({ files: written, notes });
    return;
  }
  ctx.out.out(`${what}:`);
  for (const file of written) ctx.out.out(`  ${file}`);
  for (const note of notes) ctx.out.out(note);
}

export function registerExport(program: Command, wrap: Wrap): void {
  const exp = program.command('export').description('write the pipeline for other tools: GitHub Actions workflows, or Kubernetes manifests with an Argo CD Application');
  exp
    .command('github-actions')
    .description('write the CI workflow and one deployment workflow per environment, from gantry.yaml')
    .option('--out <dir>', 'the folder to write the workflows into', DEFAULT_WORKFLOWS_DIR)
    .action(
      wrap(async (ctx, opts: { out: string }) => {
        // Loaded only when the command runs (program.ts): the config checker and yaml are most of its start-up.
        const [{ loadConfigOrThrow }, { githubActionsWorkflows }, { writeFiles }] = await Promise.all([
          import('../../config/loader.js'),
          import('../../export/github-actions/export-github-actions.js'),
          import('../../export/write-files.js'),
        ]);
        const config = await loadConfigOrThrow(ctx.options.config);
        const written = await writeFiles(opts.out, githubActionsWorkflows(config));
        report(ctx, `wrote ${written.length} workflows`, written, ['Steps named REPLACE fail until you put your own deploy, backup and rollback commands in (see docs/export.md).']);
        return 0;
      }),
    );
  exp
    .command('manifests')
    .description("write the Kubernetes objects of an environment's current release and an Argo CD Application")
    .option('--env <environment>', 'the environment (default: the only one on a kubernetes target)')
    .option('--out <dir>', 'the folder to write the manifests into (the Application points Argo CD at it)', DEFAULT_MANIFESTS_DIR)
    .option('--release <sha>', "this commit's images instead of what the server says is live (works without a server)")
    .action(
      wrap(async (ctx, opts: ManifestOptions) => {
        const [{ loadConfigOrThrow }, { exportManifests }, { writeFiles }] = await Promise.all([
          import('../../config/loader.js'),
          import('../../export/manifests/export-manifests.js'),
          import('../../export/write-files.js'),
        ]);
        const config = await loadConfigOrThrow(ctx.options.config);
        const exported = await exportManifests(config, { environment: opts.env, out: opts.out, release: opts.release, configFile: ctx.options.config, live: () => ctx.client() });
        const written = await writeFiles(opts.out, exported.files);
        report(ctx, `wrote the manifests of ${exported.environment} (${exported.source})`, written, exported.notes);
        return 0;
      }),
    );
}
