import type { Command } from 'commander';
import { loadConfigOrThrow } from '../../config/loader.js';
import { GantryError, UsageError } from '../../errors/index.js';
import { SECRET_ENV_PREFIX } from '../../secrets/source.js';
import { planProtection, type GitHubRequest } from '../../sources/github/branch-protection.js';
import type { Wrap } from '../program.js';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/** Sends one request of the plan; anything but 2xx stops (GitHub's own message is kept). */
async function send(apiUrl: string, token: string, request: GitHubRequest): Promise<number> {
  const res = await fetch(`${apiUrl}${request.path}`, {
    method: request.method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'gantry',
      ...(request.body ? { 'content-type': 'application/json' } : {}),
    },
    ...(request.body ? { body: JSON.stringify(request.body) } : {}),
  });
  const text = await res.text();
  // Removing signature protection that was never on is not a failure.
  if (res.ok || (request.method === 'DELETE' && res.status === 404)) return res.status;
  let message = text.slice(0, 300);
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch {
    // not JSON: keep the text
  }
  throw new GantryError('GITHUB_API_FAILED', `${request.method} ${request.path} answered ${res.status}: ${message}`, {
    hint: 'The token needs admin rights on the repository (classic: repo scope; fine-grained: Administration write).',
  });
}

export function registerGithub(program: Command, wrap: Wrap): void {
  const github = program.command('github').description('the GitHub repository of gantry.yaml `github:`');
  github
    .command('protect')
    .description("apply gantry.yaml's branch rules through GitHub's branch protection API (token: GITHUB_TOKEN)")
    .option('--dry-run', 'print the requests without sending them')
    .action(
      wrap(async (ctx, opts: { dryRun?: boolean }) => {
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
          for (const r of plan.requests) results.push({ method: r.method, path: r.path, status: await send(apiUrl, token, r) });
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
