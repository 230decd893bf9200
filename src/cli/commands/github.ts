import type { Command } from 'commander';
import { GantryError, UsageError } from '../../errors/index.js';
import type { GitHubRequest } from '../../sources/github/branch-protection.js';
import type { GitHubClient } from '../../sources/github/github-client.js';
import type { Wrap } from '../program.js';

/** Sends one request of the plan (5xx retried by the client); anything else but 2xx stops, with GitHub's own message. */
async function send(client: GitHubClient, request: GitHubRequest): Promise<number> {
  const { GitHubApiError } = await import('../../sources/github/github-client.js');
  try {
    return (await client.send(request)).status;
  } catch (error: unknown) {
    // Removing signature protection that was never on is not a failure.
    if (error instanceof GitHubApiError && request.method === 'DELETE' && error.status === 404) return 404;
    if (error instanceof GitHubApiError) {
      throw new GantryError('GITHUB_API_FAILED', error.message, { cause: error, hint: 'The token needs admin rights on the repository (classic: repo scope; fine-grained: Administration write).' });
    }
    throw error;
  }
}

export function registerGithub(program: Command, wrap: Wrap): void {
  const github = program.command('github').description('the GitHub repository of gantry.yaml `github:`');
  github
    .command('protect')
    .description("apply gantry.yaml's branch rules through GitHub's branch protection API (token: GITHUB_TOKEN)")
    .option('--dry-run', 'print the requests without sending them')
    .action(
      wrap(async (ctx, opts: { dryRun?: boolean }) => {
        // Loaded only when the command runs (see program.ts): the config loader and the GitHub client.
        const [{ loadConfigOrThrow }, { SECRET_ENV_PREFIX }, { planProtection }, { createGitHubClient, DEFAULT_GITHUB_API_URL }] = await Promise.all([
          import('../../config/loader.js'),
          import('../../secrets/source.js'),
          import('../../sources/github/branch-protection.js'),
          import('../../sources/github/github-client.js'),
        ]);
        const config = await loadConfigOrThrow(ctx.options.config);
        if (!config.github) throw new UsageError('USAGE', `${ctx.options.config} has no \`github:\` section`, { hint: 'Add `github: { repo: owner/name, webhookSecret: { secret: NAME } }`.' });
        const apiUrl = (config.github.apiUrl ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, '');
        const plan = planProtection(config, config.github.repo);
        const results: Array<{ method: string; path: string; status: number | null }> = [];
        if (opts.dryRun) {
          for (const r of plan.requests) results.push({ method: r.method, path: r.path, status: null });
        } else {
          const tokenSecret = config.github.token?.secret;
          const token = process.env.GITHUB_TOKEN ?? (tokenSecret ? process.env[`${SECRET_ENV_PREFIX}${tokenSecret}`] : undefined);
          if (!token) throw new GantryError('GITHUB_TOKEN_MISSING', 'no GitHub token: set GITHUB_TOKEN', { hint: 'A token with admin rights on the repository (Administration: write).' });
          const client = createGitHubClient({ apiUrl, token });
          for (const r of plan.requests) results.push({ method: r.method, path: r.path, status: await send(client, r) });
        }
        if (ctx.out.json) {
          ctx.out.printJson({ repo: config.github.repo, apiUrl, dryRun: opts.dryRun === true, requests: opts.dryRun ? plan.requests : results, skipped: plan.skipped });
          return 0;
        }
        for (const r of results) ctx.out.out(`${r.method} ${r.path}${r.status === null ? '' : ` → ${r.status}`}`);
        for (const s of plan.skipped) ctx.out.err(`skipped ${s}: a wildcard pattern (branch protection takes one branch; use a GitHub ruleset)`);
        if (plan.requests.length === 0) ctx.out.out('no branch rules in gantry.yaml: nothing to apply');
        return 0;
      }),
    );
}
